"""Uptime, response-time charts and incident figures for a monitor, from rollups and incidents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.intervals import Span, clip, subtract, total_seconds
from statusping.domain.latency import percentile
from statusping.domain.maintenance import spans_for
from statusping.domain.rollups import DAY, HOUR, floor_to
from statusping.domain.uptime import Window, mean_time_to_recovery, uptime, window_allowed
from statusping.services.maintenances import windows_by_org
from statusping.storage.models import Monitor
from statusping.storage.models.rollup import HISTOGRAM_COLUMNS
from statusping.storage.repositories.history import (
    ROLLUP_TABLES,
    SUM_COLUMNS,
    VALUE_COLUMNS,
    HistoryRepository,
)

# Chart resolution per window: at most ~500 points, each made from whole rollup buckets.
CHART_BUCKETS: dict[Window, tuple[str, timedelta]] = {
    Window.DAY: ("hourly", HOUR),
    Window.WEEK: ("hourly", HOUR),
    Window.MONTH: ("hourly", 2 * HOUR),
    Window.QUARTER: ("daily", DAY),
    Window.YEAR: ("daily", DAY),
}


@dataclass(frozen=True, slots=True)
class Exposure:
    """What a window's figures are computed from: outages and excluded spans of one monitor."""

    start: datetime
    end: datetime
    outages: list[Span]
    excluded: list[Span]
    durations: list[float]


async def exposure(db: AsyncSession, monitor: Monitor, start: datetime, end: datetime) -> Exposure:
    history = HistoryRepository(db)
    found = await history.outage_spans(monitor.id, start, end, end)
    pauses = await history.pause_spans(monitor.id, start, end, end)
    org_id = monitor.organization_id
    windows = (await windows_by_org(db, {org_id}, [start, end])).get(org_id, [])
    maintenance = spans_for(windows, str(monitor.id), start, end)
    durations = [
        (i.resolved_at - i.started_at).total_seconds()
        for _, i in found
        if i.resolved_at is not None and i.resolved_at >= start
    ]
    return Exposure(start, end, [span for span, _ in found], pauses + maintenance, durations)


async def uptime_report(
    db: AsyncSession, monitor: Monitor, *, history_days: int | None, now: datetime
) -> dict[str, dict[str, Any] | None]:
    longest = max((w for w in Window if window_allowed(w, history_days)), key=lambda w: w.duration)
    seen = await exposure(db, monitor, now - longest.duration, now)
    history = HistoryRepository(db)
    report: dict[str, dict[str, Any] | None] = {}
    for window in Window:
        if not window_allowed(window, history_days):
            report[window.value] = None
            continue
        start = now - window.duration
        figure = uptime(
            start=start, end=now, monitored_from=monitor.created_at,
            outages=seen.outages, excluded=seen.excluded,
        )  # fmt: skip
        checks, response_sum, response_count = await history.window_sums(monitor.id, start, now)
        report[window.value] = {
            "uptime": figure.uptime_percent,
            "checks": checks,
            "avg_response_ms": _avg(response_sum, response_count),
            "downtime_seconds": round(figure.downtime_seconds, 1),
        }
    return report


async def stats_report(
    db: AsyncSession, monitor: Monitor, window: Window, *, now: datetime
) -> dict[str, Any]:
    table_name, step = CHART_BUCKETS[window]
    unit = HOUR if table_name == "hourly" else DAY
    start = floor_to(now - window.duration, unit)
    history = HistoryRepository(db)
    rows = await history.rollup_rows(ROLLUP_TABLES[table_name], monitor.id, start, now)
    seen = await exposure(db, monitor, start, now)
    grouped: dict[datetime, list[Any]] = {}
    for row in rows:
        bucket = start + ((row[0] - start) // step) * step
        grouped.setdefault(bucket, []).append(row)
    buckets = [_bucket(monitor, at, step, grouped.get(at, []), seen, now) for at in _steps(start, now, step)]
    total = _combine(rows)
    figure = uptime(
        start=now - window.duration, end=now, monitored_from=monitor.created_at,
        outages=seen.outages, excluded=seen.excluded,
    )  # fmt: skip
    return {
        "window": window.value,
        "bucket_seconds": int(step.total_seconds()),
        "uptime": figure.uptime_percent,
        "checks": total["checks"],
        "failures": total["failures"],
        "response_ms": _latency(total),
        "incidents": {
            "count": sum(1 for span in seen.outages if span[1] > now - window.duration),
            "mttr_seconds": _round(mean_time_to_recovery(seen.durations)),
        },
        "buckets": buckets,
    }


def _steps(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    out = []
    cursor = start
    while cursor < end:
        out.append(cursor)
        cursor += step
    return out


def _bucket(
    monitor: Monitor, at: datetime, step: timedelta, rows: list[Any], seen: Exposure, now: datetime
) -> dict[str, Any]:
    end = min(at + step, now)
    begin = max(at, monitor.created_at)
    touched = any(s < end and e > at for s, e in seen.outages) or any(
        s < end and e > at for s, e in seen.excluded
    )
    if touched or begin >= end:
        figure = uptime(
            start=at, end=end, monitored_from=monitor.created_at,
            outages=seen.outages, excluded=seen.excluded,
        )  # fmt: skip
        percent = figure.uptime_percent
        excluded = total_seconds(clip(seen.excluded, at, end))
        monitored = total_seconds(subtract([(begin, end)], seen.excluded)) if begin < end else 0.0
    else:  # the common case: nothing happened in this bucket, no interval arithmetic needed
        percent, excluded, monitored = 100.0, 0.0, (end - begin).total_seconds()
    total = _combine(rows)
    return {
        "start": at,
        "uptime": percent,
        "checks": total["checks"],
        "failures": total["failures"],
        "excluded_seconds": round(excluded, 1),
        "monitored_seconds": round(monitored, 1),
        **_latency(total),
        "timings": {
            f"{name}_ms": _avg(total[f"{name}_sum"], total[f"{name}_count"])
            for name in ("dns", "connect", "tls", "ttfb")
        },
    }


_MIN = VALUE_COLUMNS.index("response_min")
_MAX = VALUE_COLUMNS.index("response_max")


def _combine(rows: Sequence[Any]) -> dict[str, Any]:
    """Add up bucket rows (tuples: bucket_start, then VALUE_COLUMNS) column by column."""
    columns = list(zip(*(row[1:] for row in rows), strict=True)) if rows else [() for _ in VALUE_COLUMNS]
    total: dict[str, Any] = {name: sum(columns[i]) for i, name in enumerate(SUM_COLUMNS)}
    lows = [v for v in columns[_MIN] if v is not None]
    highs = [v for v in columns[_MAX] if v is not None]
    total["response_min"] = min(lows) if lows else None
    total["response_max"] = max(highs) if highs else None
    total["histogram"] = [total[name] for name in HISTOGRAM_COLUMNS]
    return total


def _latency(total: dict[str, Any]) -> dict[str, Any]:
    low, high, counts = total["response_min"], total["response_max"], total["histogram"]
    return {
        "avg_ms": _avg(total["response_sum"], total["response_count"]),
        "min_ms": low,
        "max_ms": high,
        "p50_ms": percentile(counts, 0.50, lowest=low, highest=high),
        "p95_ms": percentile(counts, 0.95, lowest=low, highest=high),
        "p99_ms": percentile(counts, 0.99, lowest=low, highest=high),
    }


def _avg(total: float, count: int) -> float | None:
    return round(total / count, 2) if count else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
