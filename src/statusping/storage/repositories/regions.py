"""Regions: the workers' reports, and the per-region schedules of monitors checked from several."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, case, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.regions import RegionHealth
from statusping.storage.models import HourlyRollup, Monitor, RegionSchedule, RegionWorker

SCHEDULES: Table = RegionSchedule.__table__  # type: ignore[assignment]
_SAVE = (
    update(SCHEDULES)
    .where(SCHEDULES.c.monitor_id == bindparam("key"), SCHEDULES.c.region == bindparam("key_region"))
    .values(
        {
            name: bindparam(name)
            for name in (
                "next_check_at", "lease_owner", "lease_expires_at", "status", "consecutive_failures",
                "first_failure_at", "last_error", "last_checked_at", "last_response_ms",
            )
        }
    )
)  # fmt: skip
_LEASE = (
    update(SCHEDULES)
    .where(SCHEDULES.c.monitor_id == bindparam("key"), SCHEDULES.c.region == bindparam("key_region"))
    .values(lease_owner=bindparam("lease_owner"), lease_expires_at=bindparam("lease_expires_at"))
)


@dataclass(slots=True)
class RegionRow:
    """One region's schedule and confirmation state of one monitor, as the recorder rewrites it."""

    monitor_id: uuid.UUID
    region: str
    next_check_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    status: str
    consecutive_failures: int
    first_failure_at: datetime | None
    last_error: str | None
    last_checked_at: datetime | None
    last_response_ms: float | None


@dataclass(frozen=True, slots=True)
class RegionLatency:
    region: str
    checks: int
    failures: int
    avg_ms: float | None
    min_ms: float | None
    max_ms: float | None


@dataclass(frozen=True, slots=True)
class Checked:
    """A monitor that regions may check: its id, the regions it lists and its interval."""

    id: uuid.UUID
    regions: list[str]
    interval_seconds: int


class RegionRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    def _insert(self, table: Any) -> Any:
        postgres = self.db.get_bind().dialect.name == "postgresql"
        return (pg_insert if postgres else sqlite_insert)(table)

    # Workers -----------------------------------------------------------------------------------

    async def beat(self, owner: str, region: str, now: datetime) -> None:
        statement = self._insert(RegionWorker.__table__)
        await self.db.execute(
            statement.values(
                owner=owner, region=region, started_at=now, last_seen_at=now
            ).on_conflict_do_update(index_elements=["owner"], set_={"last_seen_at": now, "region": region})
        )

    async def health(self, *, now: datetime, live_window: timedelta) -> list[RegionHealth]:
        """Every region a worker reported from, with its newest report and live worker count."""
        since = now - live_window
        alive = func.sum(case((RegionWorker.last_seen_at >= since, 1), else_=0))
        rows = await self.db.execute(
            select(RegionWorker.region, func.max(RegionWorker.last_seen_at), alive)
            .group_by(RegionWorker.region)
            .order_by(RegionWorker.region)
        )
        return [RegionHealth(name, last_seen, int(count or 0)) for name, last_seen, count in rows]

    async def forget_workers(self, *, before: datetime) -> None:
        await self.db.execute(delete(RegionWorker).where(RegionWorker.last_seen_at < before))

    # Schedules ---------------------------------------------------------------------------------

    async def any_scheduled(self) -> bool:
        return bool(await self.db.scalar(select(exists().where(SCHEDULES.c.monitor_id.is_not(None)))))

    async def checked_monitors(self) -> list[Checked]:
        """Monitors that regions check: not paused and not heartbeats (pings have no region)."""
        rows = await self.db.execute(
            select(Monitor.id, Monitor.regions, Monitor.interval_seconds).where(
                Monitor.paused.is_(False), Monitor.type != "heartbeat"
            )
        )
        return [Checked(row[0], list(row[1] or []), row[2]) for row in rows]

    async def scheduled(self, region: str) -> set[uuid.UUID]:
        rows = await self.db.execute(select(SCHEDULES.c.monitor_id).where(SCHEDULES.c.region == region))
        return {row[0] for row in rows}

    async def add(self, region: str, due: dict[uuid.UUID, datetime]) -> None:
        if due:
            await self.db.execute(
                self._insert(SCHEDULES).on_conflict_do_nothing(),
                [
                    {"monitor_id": key, "region": region, "next_check_at": at}
                    for key, at in sorted(due.items())
                ],
            )

    async def remove(self, region: str, monitor_ids: Collection[uuid.UUID]) -> None:
        for chunk in _chunks(sorted(monitor_ids)):
            await self.db.execute(
                delete(RegionSchedule).where(
                    RegionSchedule.region == region, RegionSchedule.monitor_id.in_(chunk)
                )
            )

    async def drop_regions(self, names: Collection[str]) -> int:
        """Forget the schedules of regions that fell silent (one indexed delete; none left, no work)."""
        result = await self.db.execute(delete(RegionSchedule).where(RegionSchedule.region.in_(list(names))))
        return int(getattr(result, "rowcount", 0) or 0)

    async def detach_monitor_schedules(self) -> None:
        """Clear the own schedule of monitors checked per region, so the monitor claim skips them."""
        await self.db.execute(
            update(Monitor)
            .where(
                Monitor.next_check_at.is_not(None),
                Monitor.type != "heartbeat",
                exists().where(SCHEDULES.c.monitor_id == Monitor.id),
            )
            .values(next_check_at=None)
            .execution_options(synchronize_session=False)
        )

    async def dissolve(self, now: datetime) -> bool:
        """Back to one region: monitors take their own schedule again and the region rows go."""
        if not await self.any_scheduled():
            return False
        await self.db.execute(
            update(Monitor)
            .where(
                Monitor.next_check_at.is_(None),
                Monitor.paused.is_(False),
                exists().where(SCHEDULES.c.monitor_id == Monitor.id),
            )
            .values(next_check_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.db.execute(delete(RegionSchedule))
        return True

    # Engine ------------------------------------------------------------------------------------

    async def claim_due(
        self, *, region: str, owner: str, now: datetime, limit: int, margin: timedelta
    ) -> Sequence[Any]:
        """Lease up to ``limit`` of this region's due schedules (``SKIP LOCKED``, like monitors)."""
        rows = (
            await self.db.execute(
                select(
                    SCHEDULES.c.monitor_id.label("id"),
                    Monitor.type,
                    Monitor.config,
                    Monitor.timeout_seconds,
                    Monitor.interval_seconds,
                    SCHEDULES.c.next_check_at,
                    Monitor.last_ping_at,
                )
                .join(Monitor, Monitor.id == SCHEDULES.c.monitor_id)
                .where(
                    SCHEDULES.c.region == region,
                    SCHEDULES.c.next_check_at <= now,
                    or_(SCHEDULES.c.lease_expires_at.is_(None), SCHEDULES.c.lease_expires_at < now),
                    Monitor.paused.is_(False),
                )
                .order_by(SCHEDULES.c.next_check_at)
                .limit(limit)
                .with_for_update(skip_locked=True, of=SCHEDULES)
            )
        ).all()
        if rows:
            await self.db.execute(
                _LEASE,
                [
                    {
                        "key": row.id,
                        "key_region": region,
                        "lease_owner": owner,
                        "lease_expires_at": now + timedelta(seconds=row.timeout_seconds) + margin,
                    }
                    for row in rows
                ],
            )
        return rows

    async def of_monitors(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, dict[str, RegionRow]]:
        """Every region's row of these monitors (the recorder holds their monitor rows locked)."""
        found: dict[uuid.UUID, dict[str, RegionRow]] = {}
        for chunk in _chunks(sorted(ids)):
            rows = await self.db.execute(select(SCHEDULES).where(SCHEDULES.c.monitor_id.in_(chunk)))
            for row in rows:
                found.setdefault(row.monitor_id, {})[row.region] = RegionRow(**row._mapping)
        return found

    async def save(self, rows: Sequence[RegionRow]) -> None:
        if rows:
            await self.db.execute(
                _SAVE,
                [
                    {
                        "key": r.monitor_id,
                        "key_region": r.region,
                        "next_check_at": r.next_check_at,
                        "lease_owner": r.lease_owner,
                        "lease_expires_at": r.lease_expires_at,
                        "status": r.status,
                        "consecutive_failures": r.consecutive_failures,
                        "first_failure_at": r.first_failure_at,
                        "last_error": r.last_error,
                        "last_checked_at": r.last_checked_at,
                        "last_response_ms": r.last_response_ms,
                    }
                    for r in rows
                ],
            )

    async def latency_by_region(self, monitor_id: uuid.UUID, *, since: datetime) -> list[RegionLatency]:
        """Checks, failures and response times per region from the hourly rollups since ``since``."""
        h = HourlyRollup
        rows = await self.db.execute(
            select(
                h.region,
                func.sum(h.checks),
                func.sum(h.failures),
                func.sum(h.response_sum),
                func.sum(h.response_count),
                func.min(h.response_min),
                func.max(h.response_max),
            )
            .where(h.monitor_id == monitor_id, h.bucket_start >= since)
            .group_by(h.region)
            .order_by(h.region)
        )
        return [
            RegionLatency(
                region=region,
                checks=int(checks or 0),
                failures=int(failures or 0),
                avg_ms=(float(total) / count) if count else None,
                min_ms=low,
                max_ms=high,
            )
            for region, checks, failures, total, count, low, high in rows
        ]

    async def for_page(self, monitor_id: uuid.UUID) -> list[RegionRow]:
        rows = await self.db.execute(
            select(SCHEDULES).where(SCHEDULES.c.monitor_id == monitor_id).order_by(SCHEDULES.c.region)
        )
        return [RegionRow(**row._mapping) for row in rows]


def _chunks(items: list[uuid.UUID], size: int = 500) -> list[list[uuid.UUID]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or []
