"""The dashboard: a page of an organization's monitors with their summary, uptime and sparklines,
and the bulk actions on a selection.

A page costs the same handful of queries at 10 monitors or 10,000: the summary (one GROUP BY), the
page and its count, and for the page's monitors one rollup query and one outage (incident) query.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.errors import InvalidInput
from statusping.domain.maintenance import Window
from statusping.domain.monitors import MonitorType, target_of
from statusping.domain.plans import Plan
from statusping.domain.rollups import HOUR, floor_to
from statusping.services import monitors as monitor_service
from statusping.services.changes import last_change_id
from statusping.services.maintenances import windows_by_org
from statusping.storage.models import Monitor, Organization
from statusping.storage.repositories.dashboard import DashboardRepository, InMaintenance, ListFilter

PAGE_SIZE = 50
MAX_SEARCH = 100
DAY = timedelta(hours=24)
SUMMARY_STATUSES = ("up", "down", "degraded", "paused", "maintenance", "pending")
SORTS = {
    "status": "Status (down first)",
    "name": "Name (A–Z)",
    "-name": "Name (Z–A)",
    "-last_check": "Last check (newest)",
    "last_check": "Last check (oldest)",
    "uptime": "Uptime (lowest first)",
    "-uptime": "Uptime (highest first)",
}
BULK_ACTIONS = ("pause", "resume", "delete")
SPARK_WIDTH = 120
SPARK_HEIGHT = 24


@dataclass(frozen=True, slots=True)
class ListQuery:
    search: str | None = None
    status: str | None = None
    sort: str = "status"
    page: int = 1

    @classmethod
    def parse(cls, q: str | None, status: str | None, sort: str | None, page: str | int | None) -> ListQuery:
        """Lenient, as a form the user typed into should be: unknown values fall back to defaults."""
        search = (q or "").strip()[:MAX_SEARCH] or None
        shown = status if status in SUMMARY_STATUSES else None
        order = sort if sort in SORTS else "status"
        try:
            number = max(1, min(int(page or 1), 1_000_000))
        except (TypeError, ValueError):
            number = 1
        return cls(search, shown, order, number)

    def params(self, **changes: Any) -> dict[str, str]:
        """The query string of this view with ``changes`` (for links that keep the other controls)."""
        values = {"q": self.search, "status": self.status, "sort": self.sort, "page": self.page, **changes}
        defaults = {"sort": "status", "page": 1}
        return {k: str(v) for k, v in values.items() if v not in (None, "") and defaults.get(k) != v}


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    name: str
    type: str
    target: str
    status: str
    last_checked_at: datetime | None
    last_response_ms: float | None
    uptime: float | None
    sparkline: str  # SVG polyline points, "" without data
    spark_max_ms: float | None


@dataclass(frozen=True, slots=True)
class DashboardView:
    query: ListQuery
    rows: list[Row]
    matching: int  # monitors the search and filter let through
    total: int  # all of the organization's monitors
    summary: dict[str, int]
    pages: int
    first: int  # 1-based position of the first row shown
    since_change: int  # the change record's last id when the page was read (the SSE stream resumes there)
    sorts: dict[str, str] = field(default_factory=lambda: dict(SORTS))


def in_maintenance(windows: Sequence[Window], at: datetime) -> InMaintenance:
    open_now = [w for w in windows if w.active_at(at)]
    if any(w.monitor_ids is None for w in open_now):
        return InMaintenance(everything=True)
    ids: set[uuid.UUID] = set()
    for window in open_now:
        for raw in window.monitor_ids or ():
            try:
                ids.add(uuid.UUID(raw))
            except ValueError:
                continue
    return InMaintenance(ids=frozenset(ids))


async def maintenance_now(db: AsyncSession, org_id: uuid.UUID, at: datetime) -> InMaintenance:
    windows = (await windows_by_org(db, {org_id}, [at])).get(org_id, [])
    return in_maintenance(windows, at)


async def summary(db: AsyncSession, org_id: uuid.UUID, at: datetime) -> dict[str, int]:
    counts = await DashboardRepository(db).status_counts(org_id, await maintenance_now(db, org_id, at))
    return {status: counts.get(status, 0) for status in SUMMARY_STATUSES}


async def dashboard(db: AsyncSession, org: Organization, query: ListQuery, now: datetime) -> DashboardView:
    repo = DashboardRepository(db)
    since_change = await last_change_id(db)  # first: a change after this read reaches the page live
    maintenance = await maintenance_now(db, org.id, now)
    counts = await repo.status_counts(org.id, maintenance)
    where = ListFilter(org.id, query.search, query.status, maintenance)
    matching = await repo.count(where) if query.search or query.status else sum(counts.values())
    pages = max(1, math.ceil(matching / PAGE_SIZE))
    page = min(query.page, pages)
    offset = (page - 1) * PAGE_SIZE
    day_ago = now - DAY
    if query.sort.lstrip("-") == "uptime":
        rows = await _by_uptime(repo, where, now, offset, descending=query.sort.startswith("-"))
    else:
        rows = list(await repo.page(where, query.sort, limit=PAGE_SIZE, offset=offset))
    ids = [row.id for row in rows]
    hourly = await repo.hourly(ids, floor_to(day_ago, HOUR))
    outages = await repo.outages_since(org.id, day_ago, ids) if ids else {}
    by_monitor: dict[uuid.UUID, list[Any]] = {}
    for bucket in hourly:
        by_monitor.setdefault(bucket[0], []).append(bucket)
    shown = [_row(row, by_monitor.get(row.id, []), outages.get(row.id, []), maintenance, now) for row in rows]
    return DashboardView(
        query=ListQuery(query.search, query.status, query.sort, page),
        rows=shown,
        matching=matching,
        total=sum(counts.values()),
        summary={status: counts.get(status, 0) for status in SUMMARY_STATUSES},
        pages=pages,
        first=offset + 1 if shown else 0,
        since_change=since_change,
    )


async def _by_uptime(
    repo: DashboardRepository, where: ListFilter, now: datetime, offset: int, *, descending: bool
) -> list[Any]:
    """A page of the filtered monitors by 24 h uptime, never checked ones last.

    Only monitors with an outage (incident) in the last day are below 100 %; they are few, so
    they are ranked here, and the rest come from SQL by name around them:
    lowest first is [those with downtime] [checked, 100 %] [never checked]; highest first puts the
    100 % ones before those with downtime."""
    outages = await repo.outages_since(where.organization_id, now - DAY)
    found = await repo.created_among(where, list(outages))
    scored = sorted(
        ((uptime_24h(1, outages[i], created, now) or 0.0, str(i), i) for i, created in found),
        reverse=descending,
    )
    degraded = [monitor_id for _, _, monitor_id in scored]
    checked = await repo.count_segment(where, degraded, checked=True)
    segments: list[tuple[int, Any]] = [(len(degraded), degraded), (checked, True)]
    if descending:
        segments.reverse()
    segments.append((await repo.count_segment(where, degraded, checked=False), False))
    rows: list[Any] = []
    skip = offset
    for size, segment in segments:
        want = PAGE_SIZE - len(rows)
        if want <= 0:
            break
        if skip >= size:
            skip -= size
            continue
        if isinstance(segment, list):
            ids = segment[skip : skip + want]
            by_id = {row.id: row for row in await repo.by_ids(where.organization_id, ids)}
            rows += [by_id[i] for i in ids if i in by_id]
        else:
            rows += await repo.page_segment(where, degraded, checked=segment, limit=want, offset=skip)
        skip = 0
    return rows


def uptime_24h(
    checks: int, outages: Sequence[tuple[datetime, datetime | None]], created_at: datetime, now: datetime
) -> float | None:
    """The last day's uptime in percent, time-weighted as everywhere: outages (incidents, the
    open one up to now) over the time the monitor existed in that day. None before any check."""
    if not checks and not outages:
        return None
    start = max(now - DAY, created_at)
    monitored = (now - start).total_seconds()
    if monitored <= 0:
        return None
    down = sum(max(0.0, (min(end or now, now) - max(began, start)).total_seconds()) for began, end in outages)
    return round(100.0 * (1 - min(down, monitored) / monitored), 2)


def sparkline(values: Sequence[float | None], *, width: int = SPARK_WIDTH, height: int = SPARK_HEIGHT) -> str:
    """SVG polyline points for hourly averages (None = no data): scaled to the box, 1 px margin."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if not known:
        return ""
    if len(known) == 1:  # a lone hour: a level line, not an invisible dot
        return f"0,{height / 2:.1f} {width},{height / 2:.1f}"
    top = max(v for _, v in known)
    low = min(v for _, v in known)
    spread = top - low or 1.0
    step = width / max(1, len(values) - 1)
    usable = height - 2
    return " ".join(f"{i * step:.1f},{1 + usable - (v - low) / spread * usable:.1f}" for i, v in known)


def _row(
    row: Any,
    buckets: list[Any],
    outages: list[tuple[datetime, datetime | None]],
    maintenance: InMaintenance,
    now: datetime,
) -> Row:
    start = floor_to(now - DAY, HOUR)
    hours = [start + HOUR * i for i in range(25)]
    averages: dict[datetime, float] = {}
    checks = 0
    for _, bucket_start, bucket_checks, response_sum, response_count in buckets:
        checks += int(bucket_checks or 0)
        if response_count:
            averages[bucket_start] = float(response_sum) / int(response_count)
    values = [averages.get(hour) for hour in hours]
    if row.paused:
        status = "paused"
    elif maintenance.everything or row.id in maintenance.ids:
        status = "maintenance"
    else:
        status = row.status
    known = [v for v in values if v is not None]
    return Row(
        id=str(row.id),
        name=row.name,
        type=row.type,
        target=target_of(MonitorType(row.type), row.config),
        status=status,
        last_checked_at=row.last_checked_at,
        last_response_ms=row.last_response_ms,
        uptime=uptime_24h(checks, outages, row.created_at, now),
        sparkline=sparkline(values),
        spark_max_ms=round(max(known)) if known else None,
    )


# Bulk actions ---------------------------------------------------------------------------------


def parse_ids(raw: Sequence[str]) -> list[uuid.UUID]:
    """The selected ids; anything that is not an id is ignored, as a foreign id is."""
    ids: list[uuid.UUID] = []
    for value in raw[: PAGE_SIZE * 20]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return ids


async def selected(db: AsyncSession, org: Organization, ids: Sequence[uuid.UUID]) -> list[Monitor]:
    """The organization's own monitors among ``ids`` (another organization's are left out)."""
    return list(await DashboardRepository(db).monitors(org.id, list(dict.fromkeys(ids))))


async def bulk(
    db: AsyncSession,
    org: Organization,
    action: str,
    ids: Sequence[uuid.UUID],
    now: datetime,
    *,
    plan: Plan | None = None,
) -> int:
    """Pause, resume or delete the organization's monitors among ``ids``; answers how many."""
    if action not in BULK_ACTIONS:
        raise InvalidInput("action must be pause, resume or delete", field="action")
    monitors = await selected(db, org, ids)
    for monitor in monitors:
        if action == "pause":
            await monitor_service.pause(db, monitor, now)
        elif action == "resume":
            await monitor_service.resume(db, monitor, now, plan=plan)
        else:
            await monitor_service.delete_monitor(db, monitor, now)
    return len(monitors)
