"""Monitors, their results and incidents. Every user-facing query starts from the organization."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, exists, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import Incident, Monitor, RegionSchedule
from statusping.storage.repositories.results import ResultsRepository, StoredResult

STATE_COLUMNS = (
    Monitor.id, Monitor.organization_id, Monitor.name, Monitor.type, Monitor.config, Monitor.paused,
    Monitor.status, Monitor.consecutive_failures, Monitor.first_failure_at, Monitor.last_error,
    Monitor.failure_threshold, Monitor.interval_seconds, Monitor.retry_interval_seconds,
    Monitor.last_checked_at, Monitor.last_response_ms, Monitor.ssl_expires_at, Monitor.ssl_issuer,
    Monitor.next_check_at, Monitor.lease_owner, Monitor.lease_expires_at, Monitor.num,
    Monitor.degraded_ms, Monitor.degraded_alerts, Monitor.latency_streak, Monitor.quorum,
    Monitor.timeout_seconds,
)  # fmt: skip


@dataclass(slots=True)
class MonitorRow:
    """A monitor's settings and state as the recorder reads and rewrites them."""

    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    type: str
    config: dict[str, Any]
    paused: bool
    status: str
    consecutive_failures: int
    first_failure_at: datetime | None
    last_error: str | None
    failure_threshold: int
    interval_seconds: int
    retry_interval_seconds: int
    last_checked_at: datetime | None
    last_response_ms: float | None
    ssl_expires_at: datetime | None
    ssl_issuer: str | None
    next_check_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    num: int  # the key its check results carry
    degraded_ms: int | None
    degraded_alerts: bool
    latency_streak: int
    quorum: int | None  # regions that must confirm a failure (domain.quorum); None = a majority
    timeout_seconds: float


_MONITORS: Table = Monitor.__table__  # type: ignore[assignment]
# Core, not ORM: an ORM UPDATE given a list of rows insists on "bulk update by primary key".
_SAVE_STATE = (
    update(_MONITORS)
    .where(_MONITORS.c.id == bindparam("key"))
    .values(
        {
            name: bindparam(name)
            for name in (
                "status", "consecutive_failures", "first_failure_at", "last_error", "last_checked_at",
                "last_response_ms", "ssl_expires_at", "ssl_issuer", "next_check_at", "lease_owner",
                "lease_expires_at", "latency_streak",
            )
        }
    )
)  # fmt: skip


# The claim's lease, as one Core executemany (the ORM's bulk UPDATE costs more per row, and this is hot).
_LEASE = (
    update(_MONITORS)
    .where(_MONITORS.c.id == bindparam("key"))
    .values(lease_owner=bindparam("owner"), lease_expires_at=bindparam("until"))
)


class MonitorRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # Organization-scoped reads --------------------------------------------------------------

    async def get(self, org_id: uuid.UUID, monitor_id: uuid.UUID) -> Monitor | None:
        return await self.db.scalar(
            select(Monitor).where(Monitor.organization_id == org_id, Monitor.id == monitor_id)
        )

    async def list_for(self, org_id: uuid.UUID, *, limit: int, offset: int) -> Sequence[Monitor]:
        return (
            await self.db.scalars(
                select(Monitor)
                .where(Monitor.organization_id == org_id)
                .order_by(Monitor.created_at, Monitor.id)
                .limit(limit)
                .offset(offset)
            )
        ).all()

    async def count(self, org_id: uuid.UUID) -> int:
        total = await self.db.scalar(
            select(func.count()).select_from(Monitor).where(Monitor.organization_id == org_id)
        )
        return int(total or 0)

    async def count_active(self, org_id: uuid.UUID) -> int:
        total = await self.db.scalar(
            select(func.count())
            .select_from(Monitor)
            .where(Monitor.organization_id == org_id, Monitor.paused.is_(False))
        )
        return int(total or 0)

    async def results(
        self,
        monitor_id: uuid.UUID,
        *,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
        region: str | None = None,
    ) -> list[StoredResult]:
        """Newest first; ``until`` is exclusive so the oldest time of a page pages back cleanly."""
        return await ResultsRepository(self.db).page(
            monitor_id, limit=limit, since=since, until=until, region=region
        )

    async def incidents(self, monitor_id: uuid.UUID, *, limit: int) -> Sequence[Incident]:
        return (
            await self.db.scalars(
                select(Incident)
                .where(Incident.monitor_id == monitor_id)
                .order_by(Incident.started_at.desc())
                .limit(limit)
            )
        ).all()

    async def by_heartbeat_token(self, token: str) -> Monitor | None:
        return await self.db.scalar(select(Monitor).where(Monitor.heartbeat_token == token))

    # Engine ---------------------------------------------------------------------------------

    async def claim_due(
        self, *, owner: str, now: datetime, limit: int, margin: timedelta, skip_regional: bool = False
    ) -> Sequence[Any]:
        """Lease up to ``limit`` due monitors to ``owner`` and return what running them needs.

        Each lease lasts the monitor's timeout plus ``margin``: long enough that a live worker
        never loses a monitor mid-check, short enough that a dead worker's monitors come back
        quickly. On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several workers claim at once
        without waiting on or double-claiming each other's rows; on SQLite the transaction
        already holds the write lock (BEGIN IMMEDIATE), so the same statements are as exclusive.

        ``skip_regional``: with several live regions, monitors checked per region are claimed from
        their region's schedule (``RegionRepository.claim_due``), never from their own row.
        """
        regional = exists().where(RegionSchedule.monitor_id == Monitor.id)
        rows = (
            await self.db.execute(
                select(
                    Monitor.id,
                    Monitor.type,
                    Monitor.config,
                    Monitor.timeout_seconds,
                    Monitor.interval_seconds,
                    Monitor.next_check_at,
                    Monitor.last_ping_at,
                )
                .where(
                    Monitor.next_check_at <= now,
                    or_(Monitor.lease_expires_at.is_(None), Monitor.lease_expires_at < now),
                    ~regional if skip_regional else true(),
                )
                .order_by(Monitor.next_check_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if rows:
            await self.db.execute(
                _LEASE,
                [
                    {
                        "key": row.id,
                        "owner": owner,
                        "until": now + timedelta(seconds=row.timeout_seconds) + margin,
                    }
                    for row in rows
                ],
            )
        return rows

    async def lock_for_recording(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, MonitorRow]:
        """The state of these monitors, locked until the batch commits (plain rows: this is hot)."""
        rows = await self.db.execute(
            select(*STATE_COLUMNS).where(Monitor.id.in_(sorted(ids))).order_by(Monitor.id).with_for_update()
        )
        return {row.id: MonitorRow(**row._mapping) for row in rows}

    async def save_states(self, monitors: Sequence[MonitorRow]) -> None:
        """Write a batch's new states with one executemany UPDATE."""
        if not monitors:
            return
        await self.db.execute(
            _SAVE_STATE,
            [
                {
                    "key": m.id,
                    "status": m.status,
                    "consecutive_failures": m.consecutive_failures,
                    "first_failure_at": m.first_failure_at,
                    "last_error": m.last_error,
                    "last_checked_at": m.last_checked_at,
                    "last_response_ms": m.last_response_ms,
                    "ssl_expires_at": m.ssl_expires_at,
                    "ssl_issuer": m.ssl_issuer,
                    "next_check_at": m.next_check_at,
                    "lease_owner": m.lease_owner,
                    "lease_expires_at": m.lease_expires_at,
                    "latency_streak": m.latency_streak,
                }
                for m in monitors
            ],
        )

    async def open_incident(self, monitor_id: uuid.UUID) -> Incident | None:
        return await self.db.scalar(
            select(Incident)
            .where(Incident.monitor_id == monitor_id, Incident.resolved_at.is_(None))
            .order_by(Incident.started_at.desc())
            .limit(1)
        )

    async def overdue(self, *, before: datetime, limit: int) -> Sequence[Any]:
        return (
            await self.db.execute(
                select(Monitor.id, Monitor.interval_seconds)
                .where(Monitor.next_check_at < before, Monitor.lease_expires_at.is_(None))
                .limit(limit)
            )
        ).all()

    async def reschedule(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.db.execute(update(Monitor), rows)
