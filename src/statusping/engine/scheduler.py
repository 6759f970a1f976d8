"""Claiming due monitors from the database, and spreading a backlog after downtime."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.monitors import MonitorType
from statusping.domain.schedule import next_slot
from statusping.storage.repositories.monitors import MonitorRepository
from statusping.storage.repositories.regions import RegionRepository

# A lease lasts the check's timeout plus this margin: more than the hard deadline (timeout + 1 s)
# and the time to record the result, so a live worker never loses a monitor mid-check. With
# timeouts capped at 45 s, a dead worker's monitors come back within a minute.
LEASE_MARGIN = timedelta(seconds=10)
# Due longer ago than this at start-up means the engine was down: re-slot instead of firing at once.
BACKLOG_AFTER = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class Claim:
    monitor_id: uuid.UUID
    type: MonitorType
    config: dict[str, Any]
    timeout_seconds: float
    interval_seconds: int
    due_at: datetime
    last_ping_at: datetime | None
    regional: bool = False  # claimed from this engine's region schedule (services.regions)


async def claim_due(
    db: AsyncSession, *, owner: str, now: datetime, limit: int, region: str | None = None
) -> list[Claim]:
    """Due monitors, leased to ``owner``. ``region`` (only while several regions are live): also
    this region's due schedules, and no monitor that is checked per region from its own row."""
    rows = await MonitorRepository(db).claim_due(
        owner=owner, now=now, limit=limit, margin=LEASE_MARGIN, skip_regional=region is not None
    )
    claims = [_claim(row, regional=False) for row in rows]
    if region is not None and len(claims) < limit:
        regional = await RegionRepository(db).claim_due(
            region=region, owner=owner, now=now, limit=limit - len(claims), margin=LEASE_MARGIN
        )
        claims += [_claim(row, regional=True) for row in regional]
    return sorted(claims, key=lambda c: c.due_at)


def _claim(row: Any, *, regional: bool) -> Claim:
    return Claim(
        monitor_id=row.id,
        type=MonitorType(row.type),
        config=row.config,
        timeout_seconds=row.timeout_seconds,
        interval_seconds=row.interval_seconds,
        due_at=row.next_check_at,
        last_ping_at=row.last_ping_at,
        regional=regional,
    )


async def spread_backlog(db: AsyncSession, *, now: datetime, batch: int = 1000) -> int:
    """Move monitors that fell far behind onto their next slot, so a restart causes no burst.

    Each monitor keeps its own stable offset, so the backlog is spread evenly over one interval
    instead of all being checked in the first second.
    """
    repo = MonitorRepository(db)
    moved = 0
    while True:
        rows = await repo.overdue(before=now - BACKLOG_AFTER, limit=batch)
        if not rows:
            return moved
        await repo.reschedule(
            [{"id": r.id, "next_check_at": next_slot(str(r.id), r.interval_seconds, now)} for r in rows]
        )
        moved += len(rows)
