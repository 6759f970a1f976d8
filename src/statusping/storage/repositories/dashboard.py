"""The dashboard's queries: one page of an organization's monitors, its counts, and the change record.

Everything here is a handful of set queries whatever the page size: the list, its count, the
status summary (one GROUP BY), and for the page's monitors their last day of hourly rollups and open
outages (one query each, never one per row).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, false, func, insert, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import HourlyRollup, Incident, Monitor, MonitorChange

# What a dashboard row shows; the rest of a monitor stays in the database.
LIST_COLUMNS = (
    Monitor.id, Monitor.name, Monitor.type, Monitor.config, Monitor.status, Monitor.paused,
    Monitor.last_checked_at, Monitor.last_response_ms, Monitor.created_at,
)  # fmt: skip
TARGET_KEYS = ("url", "host", "hostname")
STORED_STATUS_ORDER = {"down": 0, "degraded": 1, "pending": 2, "up": 5}
MAINTENANCE_RANK = 4
PAUSED_RANK = 6


@dataclass(frozen=True, slots=True)
class InMaintenance:
    """Monitors inside an open maintenance window right now: all of them, or these ids."""

    everything: bool = False
    ids: frozenset[uuid.UUID] = frozenset()

    def condition(self) -> ColumnElement[bool]:
        if self.everything:
            return true()
        return Monitor.id.in_(sorted(self.ids)) if self.ids else false()


@dataclass(frozen=True, slots=True)
class ListFilter:
    organization_id: uuid.UUID
    search: str | None
    status: str | None  # a shown status (paused and maintenance included), or None for all
    maintenance: InMaintenance

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [Monitor.organization_id == self.organization_id]
        if self.search:
            pattern = "%" + self.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            fields = [Monitor.name, *(Monitor.config[key].as_string() for key in TARGET_KEYS)]
            where.append(or_(*(f.ilike(pattern, escape="\\") for f in fields)))
        maintenance = self.maintenance.condition()
        if self.status == "paused":
            where.append(Monitor.paused.is_(True))
        elif self.status == "maintenance":
            where += [Monitor.paused.is_(False), maintenance]
        elif self.status is not None:
            where += [Monitor.paused.is_(False), Monitor.status == self.status, ~maintenance]
        return where


class DashboardRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def status_counts(self, org_id: uuid.UUID, maintenance: InMaintenance) -> dict[str, int]:
        """Monitors per shown status: one GROUP BY over the stored state."""
        shown = case(
            (Monitor.paused.is_(True), "paused"),
            (maintenance.condition(), "maintenance"),
            else_=Monitor.status,
        )
        rows = await self.db.execute(
            select(shown, func.count()).where(Monitor.organization_id == org_id).group_by(shown)
        )
        return {str(status): int(count) for status, count in rows.all()}

    async def count(self, where: ListFilter) -> int:
        total = await self.db.scalar(select(func.count()).select_from(Monitor).where(*where.conditions()))
        return int(total or 0)

    async def page(self, where: ListFilter, sort: str, *, limit: int, offset: int) -> Sequence[Any]:
        query = select(*LIST_COLUMNS).where(*where.conditions())
        query = query.order_by(*_order(sort, where.maintenance)).limit(limit).offset(offset)
        return (await self.db.execute(query)).all()

    async def by_ids(self, org_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> Sequence[Any]:
        if not ids:
            return []
        query = select(*LIST_COLUMNS).where(Monitor.organization_id == org_id, Monitor.id.in_(ids))
        return (await self.db.execute(query)).all()

    async def monitors(self, org_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> Sequence[Monitor]:
        if not ids:
            return []
        query = select(Monitor).where(Monitor.organization_id == org_id, Monitor.id.in_(ids))
        return (await self.db.scalars(query.order_by(Monitor.name, Monitor.id))).all()

    async def created(self, where: ListFilter) -> Sequence[Any]:
        """(id, created_at) of every monitor the filter lets through, for the uptime sort."""
        return (
            await self.db.execute(select(Monitor.id, Monitor.created_at).where(*where.conditions()))
        ).all()

    async def hourly(self, ids: Sequence[uuid.UUID], since: datetime) -> Sequence[Any]:
        """Per monitor and hour since ``since`` (all regions added up): checks, downtime and
        response sums: the sparkline and the 24 h uptime of a page's monitors in one query."""
        if not ids:
            return []
        r = HourlyRollup
        return (
            await self.db.execute(
                select(
                    r.monitor_id,
                    r.bucket_start,
                    func.sum(r.checks),
                    func.sum(r.downtime_seconds),
                    func.sum(r.response_sum),
                    func.sum(r.response_count),
                )
                .where(r.monitor_id.in_(ids), r.bucket_start >= since)
                .group_by(r.monitor_id, r.bucket_start)
            )
        ).all()

    async def downtime_since(self, where: ListFilter, since: datetime) -> dict[uuid.UUID, tuple[int, float]]:
        """(checks, downtime seconds) per monitor since ``since``, for every monitor of the filter."""
        r = HourlyRollup
        scope = select(Monitor.id).where(*where.conditions())
        rows = await self.db.execute(
            select(r.monitor_id, func.sum(r.checks), func.sum(r.downtime_seconds))
            .where(r.monitor_id.in_(scope), r.bucket_start >= since)
            .group_by(r.monitor_id)
        )
        return {row[0]: (int(row[1] or 0), float(row[2] or 0.0)) for row in rows.all()}

    async def open_outages(
        self, org_id: uuid.UUID, ids: Sequence[uuid.UUID] | None = None
    ) -> dict[uuid.UUID, datetime]:
        """When each monitor's ongoing outage began (its open incident), for these monitors or all."""
        query = select(Incident.monitor_id, func.min(Incident.started_at)).where(
            Incident.organization_id == org_id, Incident.resolved_at.is_(None)
        )
        if ids is not None:
            query = query.where(Incident.monitor_id.in_(ids))
        rows = await self.db.execute(query.group_by(Incident.monitor_id))
        return {row[0]: row[1] for row in rows.all()}

    # The change record ----------------------------------------------------------------------

    async def add_changes(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.db.execute(insert(MonitorChange), rows)

    async def changes_after(
        self, after: int, *, limit: int, org_id: uuid.UUID | None = None
    ) -> Sequence[MonitorChange]:
        query = select(MonitorChange).where(MonitorChange.id > after)
        if org_id is not None:
            query = query.where(MonitorChange.organization_id == org_id)
        return (await self.db.scalars(query.order_by(MonitorChange.id).limit(limit))).all()

    async def last_change_id(self) -> int:
        return int(await self.db.scalar(select(func.max(MonitorChange.id))) or 0)

    async def prune_changes(self, before: datetime, *, limit: int) -> int:
        doomed = select(MonitorChange.id).where(MonitorChange.at < before).limit(limit)
        result = await self.db.execute(
            delete(MonitorChange).where(MonitorChange.id.in_(doomed.scalar_subquery()))
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _order(sort: str, maintenance: InMaintenance) -> list[Any]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    # Case-insensitive, as people read names (and alike on both databases, whatever the collation).
    folded = func.lower(Monitor.name)
    if key == "name":
        return [folded.desc() if descending else folded.asc(), Monitor.id]
    if key == "last_check":
        # Never-checked monitors last either way (NULLS LAST spelled so that SQLite accepts it too).
        never = Monitor.last_checked_at.is_(None)
        checked = Monitor.last_checked_at.desc() if descending else Monitor.last_checked_at.asc()
        return [never, checked, Monitor.id]
    rank = case(
        (Monitor.paused.is_(True), PAUSED_RANK),
        (maintenance.condition(), MAINTENANCE_RANK),
        *((and_(Monitor.status == status), order) for status, order in STORED_STATUS_ORDER.items()),
        else_=3,
    )
    return [rank.desc() if descending else rank.asc(), folded, Monitor.id]
