"""What the monitor page and its chart show: one read use-case each, from the existing statistics.

The page renders every figure server-side (it works without JavaScript); the chart fetches
``series`` as columnar arrays, the shape uPlot draws from without any reshaping in the browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.errors import Forbidden
from statusping.domain.plans import PLANS, Plan
from statusping.domain.uptime import Window, window_allowed
from statusping.services import statistics
from statusping.storage.models import Incident, Monitor
from statusping.storage.repositories.history import HistoryRepository
from statusping.storage.repositories.monitors import MonitorRepository
from statusping.storage.repositories.results import StoredResult
from statusping.storage.repositories.series import SeriesRepository

# Raw checks in a 24 h chart: 8,640 at a 10 s interval; the cap only guards a misconfigured floor.
MAX_RAW_POINTS = 10_000
CHECKS_PER_PAGE = 25
INCIDENTS_SHOWN = 20
TIMING_NAMES = ("dns", "connect", "tls", "ttfb")


class ChartRange(StrEnum):
    DAY = "24h"
    WEEK = "7d"
    MONTH = "30d"
    QUARTER = "90d"

    @property
    def window(self) -> Window:
        return Window(self.value)


@dataclass(frozen=True, slots=True)
class UptimeCell:
    window: str
    uptime: float | None  # None: nothing monitored yet in the window
    checks: int
    downtime_seconds: float
    locked_hint: str | None  # set when the plan's history does not reach this far


@dataclass(frozen=True, slots=True)
class Overview:
    monitor: Monitor
    since: datetime
    uptime: list[UptimeCell]
    chart_range: ChartRange
    ranges: list[tuple[ChartRange, str | None]]  # each range and, if locked, the plan hint
    stats: dict[str, Any]  # the selected range's window summary: p50/p95/p99, checks, failures
    timings: dict[str, float | None]  # average DNS / connect / TLS / TTFB over the range
    incidents: list[tuple[Incident, float]]  # with duration in seconds (open ones: so far)
    checks: Sequence[StoredResult]
    older_than: datetime | None  # the next page of the check log, if there is one


def history_hint(plan: Plan | None, window: Window) -> str | None:
    """None if the plan's history covers ``window``; else which plan lifts it, in words."""
    if plan is None or window_allowed(window, plan.history_days):
        return None
    better = [p for p in PLANS.values() if p.price_usd_month > plan.price_usd_month]
    lifts = next((p for p in better if p.history_days >= window.days), None)
    kept = "24 hours" if plan.history_days == 1 else f"{plan.history_days} days"
    suffix = f"; {lifts.title} keeps {lifts.history_days} days" if lifts else ""
    return f"The {plan.title} plan keeps {kept} of history{suffix}"


def check_range_allowed(plan: Plan | None, chart_range: ChartRange) -> None:
    hint = history_hint(plan, chart_range.window)
    if hint is not None:
        raise Forbidden(hint[0].lower() + hint[1:])


async def series(
    db: AsyncSession, monitor: Monitor, chart_range: ChartRange, *, plan: Plan | None, now: datetime
) -> dict[str, Any]:
    """The response-time chart's data as parallel arrays (times in Unix seconds).

    24 h draws every check; longer ranges draw the rollup buckets (hourly, 2-hourly, daily) with
    their average and p95. Timing arrays are the DNS / connect / TLS / TTFB parts.
    """
    check_range_allowed(plan, chart_range)
    start = now - chart_range.window.duration
    # The range drawn: a chart of one check must still span the day, not uPlot's guess around it.
    span = {"start": int(start.timestamp()), "end": int(now.timestamp())}
    if chart_range is ChartRange.DAY:
        rows = await SeriesRepository(db).checks(monitor.id, start, now, limit=MAX_RAW_POINTS)
        return {
            "range": chart_range.value,
            **span,
            "bucket_seconds": None,
            "t": [round(r.checked_at.timestamp(), 3) for r in rows],
            "response_ms": [r.response_ms for r in rows],
            "p95_ms": None,
            **{f"{n}_ms": [getattr(r, f"{n}_ms") for r in rows] for n in TIMING_NAMES},
            "failed": [0 if r.ok else 1 for r in rows],
        }
    report = await statistics.stats_report(db, monitor, chart_range.window, now=now)
    buckets = report["buckets"]
    return {
        "range": chart_range.value,
        **span,
        "bucket_seconds": report["bucket_seconds"],
        "t": [int(b["start"].timestamp()) for b in buckets],
        "response_ms": [b["avg_ms"] for b in buckets],
        "p95_ms": [b["p95_ms"] for b in buckets],
        **{f"{n}_ms": [b["timings"][f"{n}_ms"] for b in buckets] for n in TIMING_NAMES},
        "failed": [b["failures"] for b in buckets],
    }


async def overview(
    db: AsyncSession,
    monitor: Monitor,
    *,
    plan: Plan | None,
    history_days: int,
    chart_range: ChartRange,
    older_than: datetime | None,
    now: datetime,
) -> Overview:
    """Everything the monitor page shows, for the range picked (a locked range falls back to 24 h)."""
    if history_hint(plan, chart_range.window) is not None:
        chart_range = ChartRange.DAY
    report = await statistics.uptime_report(db, monitor, history_days=history_days, now=now)
    uptime = [_uptime_cell(window, report.get(window.value), plan) for window in Window]
    stats = await statistics.stats_report(db, monitor, chart_range.window, now=now)
    repo = MonitorRepository(db)
    incidents = await repo.incidents(monitor.id, limit=INCIDENTS_SHOWN)
    shown_from = now - timedelta(days=history_days)  # older results may be kept after a downgrade, unshown
    checks = await repo.results(monitor.id, limit=CHECKS_PER_PAGE + 1, since=shown_from, until=older_than)
    more = len(checks) > CHECKS_PER_PAGE
    checks = checks[:CHECKS_PER_PAGE]
    return Overview(
        monitor=monitor,
        since=await _state_since(db, monitor, incidents),
        uptime=uptime,
        chart_range=chart_range,
        ranges=[(r, history_hint(plan, r.window)) for r in ChartRange],
        stats=stats,
        timings=_average_timings(stats["buckets"]),
        incidents=[(i, ((i.resolved_at or now) - i.started_at).total_seconds()) for i in incidents],
        checks=checks,
        older_than=checks[-1].checked_at if more and checks else None,
    )


def _uptime_cell(window: Window, figure: dict[str, Any] | None, plan: Plan | None) -> UptimeCell:
    if figure is None:
        return UptimeCell(window.value, None, 0, 0.0, history_hint(plan, window) or "Not kept")
    return UptimeCell(window.value, figure["uptime"], figure["checks"], figure["downtime_seconds"], None)


async def _state_since(db: AsyncSession, monitor: Monitor, incidents: Sequence[Incident]) -> datetime:
    """When the current state began: the pause, the open outage, or the last recovery."""
    if monitor.paused:
        pause = await HistoryRepository(db).open_pause(monitor.id)
        if pause is not None:
            return pause.started_at
    latest = incidents[0] if incidents else None
    if latest is not None and latest.resolved_at is None:
        return latest.started_at
    if latest is not None and latest.resolved_at is not None and monitor.status == "up":
        return latest.resolved_at
    return monitor.created_at


def _average_timings(buckets: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    """Each timing part over the range, weighted by each bucket's checks."""
    out: dict[str, float | None] = {}
    for name in TIMING_NAMES:
        key = f"{name}_ms"
        weighted = [(b["timings"][key], b["checks"]) for b in buckets if b["timings"][key] is not None]
        weight = sum(c for _, c in weighted)
        out[key] = round(sum(v * c for v, c in weighted) / weight, 1) if weight else None
    return out
