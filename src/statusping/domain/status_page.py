"""What a public status page says: component statuses, the overall banner, one bar cell per day.

Pure rules; the vocabulary is Atlassian Statuspage's, so its clients read our JSON unchanged.

Monitor status → component status:
- ``down`` → ``major_outage``; an open maintenance window → ``under_maintenance`` (it wins over
  ``down``: failures during a window are expected and never confirm an outage).
- ``degraded`` → ``degraded_performance``.
- ``up`` and ``pending`` → ``operational``: a page only reports confirmed outages, as alerts do;
  a brand-new monitor has no failure to report yet.
- ``paused`` → hidden: nobody is watching it, so the page makes no claim about it either way.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from statusping.domain.intervals import Span
from statusping.domain.uptime import uptime

DAY = timedelta(days=1)
BAR_DAYS = 90


class ComponentStatus(StrEnum):
    OPERATIONAL = "operational"
    DEGRADED = "degraded_performance"
    PARTIAL = "partial_outage"
    MAJOR = "major_outage"
    MAINTENANCE = "under_maintenance"


class Overall(StrEnum):
    OPERATIONAL = "operational"
    MAINTENANCE = "maintenance"
    DEGRADED = "degraded"
    PARTIAL = "partial_outage"
    MAJOR = "major_outage"


# Statuspage's status.indicator and status.description for each banner.
INDICATORS: dict[Overall, tuple[str, str]] = {
    Overall.OPERATIONAL: ("none", "All Systems Operational"),
    Overall.MAINTENANCE: ("maintenance", "Service Under Maintenance"),
    Overall.DEGRADED: ("minor", "Minor Service Outage"),
    Overall.PARTIAL: ("major", "Partial System Outage"),
    Overall.MAJOR: ("critical", "Major System Outage"),
}

_SEVERITY = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.MAINTENANCE: 1,
    ComponentStatus.DEGRADED: 2,
    ComponentStatus.PARTIAL: 3,
    ComponentStatus.MAJOR: 4,
}


def component_status(monitor_status: str, *, paused: bool, in_maintenance: bool) -> ComponentStatus | None:
    """The component's status, or None when the component is not shown (paused)."""
    if paused or monitor_status == "paused":
        return None
    if in_maintenance or monitor_status == "maintenance":
        return ComponentStatus.MAINTENANCE
    if monitor_status == "down":
        return ComponentStatus.MAJOR
    if monitor_status == "degraded":
        return ComponentStatus.DEGRADED
    return ComponentStatus.OPERATIONAL


def worst(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    """A group's status: the worst of its components'."""
    return max(statuses, key=_SEVERITY.__getitem__, default=ComponentStatus.OPERATIONAL)


def overall_status(statuses: Sequence[ComponentStatus]) -> Overall:
    """The banner: every watched component down is a major outage, some down a partial one."""
    watched = [s for s in statuses if s is not ComponentStatus.MAINTENANCE]
    down = [s for s in watched if s is ComponentStatus.MAJOR]
    if down and len(down) == len(watched):
        return Overall.MAJOR
    if down or ComponentStatus.PARTIAL in watched:
        return Overall.PARTIAL
    if ComponentStatus.DEGRADED in watched:
        return Overall.DEGRADED
    if ComponentStatus.MAINTENANCE in statuses:
        return Overall.MAINTENANCE
    return Overall.OPERATIONAL


@dataclass(frozen=True, slots=True)
class DayCell:
    day: date
    uptime: float | None  # None: no data (not monitored that day, or beyond the plan's history)
    downtime_seconds: float
    incidents: int
    level: str  # "none" | "up" | "minor" | "partial" | "major": the cell's colour

    @property
    def downtime_minutes(self) -> int:
        return round(self.downtime_seconds / 60)

    @property
    def summary(self) -> str:
        """The day in words: the bar cell's tooltip and its line in the page's daily history."""
        return _summary(self.day, self.uptime, self.downtime_minutes, self.incidents, self.level)


@lru_cache(maxsize=8192)
def _summary(day: date, uptime_percent: float | None, minutes: int, incidents: int, level: str) -> str:
    # Cached: the same day reads the same in every component's bar (a page has up to 200 × 90).
    label = f"{day.day} {day:%b %Y}"
    if uptime_percent is None:
        return f"{label}: no data"
    if level == "up":
        return f"{label}: 100% uptime, no downtime"
    plural = "" if incidents == 1 else "s"
    return f"{label}: {uptime_percent:.2f}% uptime, {minutes} min down, {incidents} incident{plural}"


@lru_cache(maxsize=4096)
def _plain(day: date, level: str) -> DayCell:
    """A "no data" or a quiet "up" day: immutable, so every bar shares the one instance."""
    if level == "up":
        return DayCell(day, 100.0, 0.0, 0, "up")
    return DayCell(day, None, 0.0, 0, "none")


def level_of(uptime_percent: float | None, downtime_seconds: float, incidents: int = 0) -> str:
    if uptime_percent is None:
        return "none"
    if downtime_seconds <= 0:
        return "minor" if incidents else "up"  # an outage that began moments ago is never green
    if uptime_percent >= 99.0:
        return "minor"
    if uptime_percent >= 95.0:
        return "partial"
    return "major"


def day_cells(
    *,
    now: datetime,
    monitored_from: datetime,
    history_from: datetime,
    outages: Sequence[Span],
    excluded: Sequence[Span],
    checks_by_day: Container[date],
    days: int = BAR_DAYS,
) -> list[DayCell]:
    """One cell per UTC day, oldest first, ending today.

    Downtime comes from the outage spans (so an outage still open counts today); a day without a
    single check (not in ``checks_by_day``: the days checked at least once, a set or a mapping of
    positive counts) and without an outage is "no data", as is a day older than the plan's history.
    One pass: each span is filed under the few days it can touch, so a day looks only at its own.
    """
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - (days - 1) * DAY
    oldest_kept = history_from.replace(hour=0, minute=0, second=0, microsecond=0)
    outages_of = _by_day(outages, first, days)
    holes_of = _by_day(excluded, first, days)
    cells = []
    for index, (start, end, day) in enumerate(_days(first, now, days)):
        if start < oldest_kept or end <= monitored_from:
            cells.append(_plain(day, "none"))
            continue
        near = outages_of.get(index)
        touching = [s for s in near if _touches(s, start, end)] if near else []
        if not touching and day not in checks_by_day:
            cells.append(_plain(day, "none"))
            continue
        near = holes_of.get(index)
        holes = [s for s in near if s[0] < end and s[1] > start] if near else []
        if not touching and not holes:  # the common day: checked, nothing happened
            cells.append(_plain(day, "up"))
            continue
        count = len(touching)
        figure = uptime(start=start, end=end, monitored_from=monitored_from, outages=touching, excluded=holes)
        percent = None if figure.uptime_percent is None else round(figure.uptime_percent, 2)
        cells.append(
            DayCell(
                day,
                percent,
                figure.downtime_seconds,
                count,
                level_of(percent, figure.downtime_seconds, count),
            )
        )
    return cells


@lru_cache(maxsize=16)
def _days(first: datetime, now: datetime, days: int) -> tuple[tuple[datetime, datetime, date], ...]:
    """Each day's start, end (now, for today) and date: the same for every bar of a render."""
    starts = [first + n * DAY for n in range(days)]
    return tuple((start, min(start + DAY, now), start.date()) for start in starts)


def _by_day(spans: Sequence[Span], first: datetime, days: int) -> dict[int, list[Span]]:
    """The spans filed under every day index they may touch (one day of slack on each side: the
    callers test the exact overlap)."""
    filed: dict[int, list[Span]] = {}
    for span in spans:
        low = max(0, (span[0] - first) // DAY - 1)
        high = min(days - 1, (span[1] - first) // DAY + 1)
        for index in range(low, high + 1):
            filed.setdefault(index, []).append(span)
    return filed


def _touches(span: Span, start: datetime, end: datetime) -> bool:
    """Overlaps [start, end); an outage that has only just begun (no length yet) counts too."""
    if span[0] == span[1]:
        return start <= span[0] <= end
    return span[0] < end and span[1] > start
