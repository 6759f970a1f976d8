"""Turning check results into additions to hourly and daily buckets (pure; storage applies them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from statusping.domain.latency import BUCKETS, bucket_of

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
_TIMINGS = ("dns", "connect", "tls", "ttfb")


def floor_to(moment: datetime, unit: timedelta) -> datetime:
    if unit == DAY:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == HOUR:
        return moment.replace(minute=0, second=0, microsecond=0)
    raise ValueError(f"unsupported bucket unit {unit}")


_EMPTY: dict[str, Any] = {
    "checks": 0,
    "failures": 0,
    "downtime_seconds": 0.0,  # a full row: storage then adds it as it is
    "response_count": 0,
    "response_sum": 0.0,
    "response_min": None,
    "response_max": None,
    **{
        column: 0.0 if column.endswith("_sum") else 0
        for name in _TIMINGS
        for column in (f"{name}_sum", f"{name}_count")
    },
    **{f"h{index:02d}": 0 for index in range(BUCKETS)},
}
# Column names worked out once: this runs twice for every check recorded.
_HISTOGRAM = tuple(f"h{index:02d}" for index in range(BUCKETS))
_TIMING_COLUMNS = tuple((f"{name}_ms", f"{name}_sum", f"{name}_count") for name in _TIMINGS)


def _empty(monitor_id: Any, region: str, start: datetime) -> dict[str, Any]:
    return {"monitor_id": monitor_id, "region": region, "bucket_start": start, **_EMPTY}


def increments(results: Iterable[Mapping[str, Any]], unit: timedelta) -> list[dict[str, Any]]:
    """One addition per (monitor, region, bucket) touched by ``results`` (rows as stored)."""
    buckets: dict[tuple[Any, str, datetime], dict[str, Any]] = {}
    for result in results:
        start = floor_to(result["checked_at"], unit)
        key = (result["monitor_id"], result["region"], start)
        row = buckets.get(key)
        if row is None:
            row = buckets[key] = _empty(*key)
        row["checks"] += 1
        if not result["ok"]:
            row["failures"] += 1
        ms = result.get("response_ms")
        if ms is not None:
            row["response_count"] += 1
            row["response_sum"] += ms
            row["response_min"] = ms if row["response_min"] is None else min(row["response_min"], ms)
            row["response_max"] = ms if row["response_max"] is None else max(row["response_max"], ms)
            row[_HISTOGRAM[bucket_of(ms)]] += 1
        for field, total, count in _TIMING_COLUMNS:
            value = result.get(field)
            if value is not None:
                row[total] += value
                row[count] += 1
    return list(buckets.values())


def split_by_bucket(start: datetime, end: datetime, unit: timedelta) -> list[tuple[datetime, float]]:
    """How many seconds of [start, end) fall in each bucket: to add downtime to the right buckets."""
    pieces = []
    cursor = start
    while cursor < end:
        bucket = floor_to(cursor, unit)
        piece_end = min(end, bucket + unit)
        pieces.append((bucket, (piece_end - cursor).total_seconds()))
        cursor = piece_end
    return pieces
