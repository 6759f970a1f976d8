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

from sqlalchemy import ColumnElement, Text, and_, case, cast, delete, false, func, insert, or_, select, true
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
            targets = [Monitor.config[key].as_string().ilike(pattern, escape="\\") for key in TARGET_KEYS]
            # The whole config as text first: a cheap test that spares most rows the JSON parsing.
            anywhere = cast(Monitor.config, Text).ilike(pattern, escape="\\")
            where.append(or_(Monitor.name.ilike(pattern, escape="\\"), and_(anywhere, or_(*targets))))
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

    async def created_among(self, where: ListFilter, ids: Sequence[uuid.UUID]) -> Sequence[Any]:
        """(id, created_at) of those of ``ids`` that the filter lets through."""
        if not ids:
            return []
        query = select(Monitor.id, Monitor.created_at).where(*where.conditions(), Monitor.id.in_(ids))
        return (await self.db.execute(query)).all()

    def _segment(self, where: ListFilter, exclude: Sequence[uuid.UUID], checked: bool) -> list[Any]:
        conditions = [*where.conditions(), Monitor.last_checked_at.is_not(None) if checked else
                      Monitor.last_checked_at.is_(None)]  # fmt: skip
        if exclude:
            conditions.append(Monitor.id.not_in(exclude))
        return conditions

    async def count_segment(self, where: ListFilter, exclude: Sequence[uuid.UUID], *, checked: bool) -> int:
        query = select(func.count()).select_from(Monitor).where(*self._segment(where, exclude, checked))
        return int(await self.db.scalar(query) or 0)

    async def page_segment(
        self, where: ListFilter, exclude: Sequence[uuid.UUID], *, checked: bool, limit: int, offset: int
    ) -> Sequence[Any]:
        """Monitors of the filter but ``exclude``, checked or never checked, by name."""
        query = select(*LIST_COLUMNS).where(*self._segment(where, exclude, checked))
        query = query.order_by(func.lower(Monitor.name), Monitor.id).limit(limit).offset(offset)
        return (await self.db.execute(query)).all()

    async def hourly(self, ids: Sequence[uuid.UUID], since: datetime) -> Sequence[Any]:
        """Per monitor and hour since ``since`` (all regions added up): checks and response sums,
        for the sparklines of a page's monitors in one query."""
        if not ids:
            return []
        r = HourlyRollup
        return (
            await self.db.execute(
                select(
                    r.monitor_id,
                    r.bucket_start,
                    func.sum(r.checks),
                    func.sum(r.response_sum),
                    func.sum(r.response_count),
                )
                .where(r.monitor_id.in_(ids), r.bucket_start >= since)
                .group_by(r.monitor_id, r.bucket_start)
            )
        ).all()

    async def outages_since(
        self, org_id: uuid.UUID, since: datetime, ids: Sequence[uuid.UUID] | None = None
    ) -> dict[uuid.UUID, list[tuple[datetime, datetime | None]]]:
        """Each monitor's outages (incidents) that were still open at ``since``: few rows, by the
        organization's incident index, however many monitors it has."""
        query = select(Incident.monitor_id, Incident.started_at, Incident.resolved_at).where(
            Incident.organization_id == org_id,
            or_(Incident.resolved_at.is_(None), Incident.resolved_at > since),
        )
        if ids is not None:
            query = query.where(Incident.monitor_id.in_(ids))
        found: dict[uuid.UUID, list[tuple[datetime, datetime | None]]] = {}
        for monitor_id, started_at, resolved_at in (await self.db.execute(query)).all():
            found.setdefault(monitor_id, []).append((started_at, resolved_at))
        return found

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
