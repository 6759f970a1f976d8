"""Uptime, weighted by time, over confirmed downtime only.

uptime = 1 − downtime / monitored time. Downtime runs from the first failed check of a confirmed
outage to the recovering check; unconfirmed blips are not downtime. Paused time and maintenance are
left out of both. Counting checks instead would overweight outages, because checks come faster
while a failure is being confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from statusping.domain.intervals import Span, clip, subtract, total_seconds


class Window(StrEnum):
    DAY = "24h"
    WEEK = "7d"
    MONTH = "30d"
    QUARTER = "90d"
    YEAR = "365d"

    @property
    def duration(self) -> timedelta:
        return WINDOW_DURATIONS[self]

    @property
    def days(self) -> int:
        return max(1, int(self.duration.total_seconds() // 86400))


WINDOW_DURATIONS = {
    Window.DAY: timedelta(hours=24),
    Window.WEEK: timedelta(days=7),
    Window.MONTH: timedelta(days=30),
    Window.QUARTER: timedelta(days=90),
    Window.YEAR: timedelta(days=365),
}


def window_allowed(window: Window, history_days: int | None) -> bool:
    """A window beyond the plan's history has no honest answer (its data was never kept)."""
    return history_days is None or window.days <= history_days


@dataclass(frozen=True, slots=True)
class UptimeFigure:
    uptime_percent: float | None  # None: nothing was monitored in the window
    monitored_seconds: float
    downtime_seconds: float


def uptime(
    *,
    start: datetime,
    end: datetime,
    monitored_from: datetime,
    outages: Iterable[Span],
    excluded: Iterable[Span] = (),
) -> UptimeFigure:
    """Time-weighted uptime between ``start`` and ``end``.

    ``monitored_from`` is when monitoring began (creation); ``outages`` are incident spans (an open
    incident ends at ``end``); ``excluded`` are paused and maintenance spans.
    """
    begin = max(start, monitored_from)
    if begin >= end:
        return UptimeFigure(None, 0.0, 0.0)
    holes = list(excluded)
    monitored = subtract([(begin, end)], holes)
    down = subtract(clip(outages, begin, end), holes)
    monitored_s = total_seconds(monitored)
    down_s = min(total_seconds(down), monitored_s)
    if monitored_s <= 0:
        return UptimeFigure(None, 0.0, 0.0)
    return UptimeFigure(round(100.0 * (1 - down_s / monitored_s), 4), monitored_s, down_s)


def mean_time_to_recovery(durations: Sequence[float]) -> float | None:
    return sum(durations) / len(durations) if durations else None
