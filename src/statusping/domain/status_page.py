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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

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
        day = f"{self.day.day} {self.day:%b %Y}"
        if self.uptime is None:
            return f"{day}: no data"
        if self.level == "up":
            return f"{day}: 100% uptime, no downtime"
        plural = "" if self.incidents == 1 else "s"
        return (
            f"{day}: {self.uptime:.2f}% uptime, {self.downtime_minutes} min down, "
            f"{self.incidents} incident{plural}"
        )


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
    checks_by_day: Mapping[date, int],
    days: int = BAR_DAYS,
) -> list[DayCell]:
    """One cell per UTC day, oldest first, ending today.

    Downtime comes from the outage spans (so an outage still open counts today); a day without a
    single check and without an outage is "no data", as is a day older than the plan's history.
    """
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    oldest_kept = history_from.replace(hour=0, minute=0, second=0, microsecond=0)
    cells = []
    for back in range(days - 1, -1, -1):
        start = today - back * DAY
        end = min(start + DAY, now)
        touching = [s for s in outages if _touches(s, start, end)]
        count = len(touching)
        if start < oldest_kept or end <= monitored_from:
            cells.append(DayCell(start.date(), None, 0.0, 0, "none"))
            continue
        if not touching and not checks_by_day.get(start.date()):
            cells.append(DayCell(start.date(), None, 0.0, 0, "none"))
            continue
        holes = [s for s in excluded if s[0] < end and s[1] > start]
        if not touching and not holes:  # the common day: checked, nothing happened
            cells.append(DayCell(start.date(), 100.0, 0.0, 0, "up"))
            continue
        figure = uptime(start=start, end=end, monitored_from=monitored_from, outages=touching, excluded=holes)
        percent = None if figure.uptime_percent is None else round(figure.uptime_percent, 2)
        cells.append(
            DayCell(
                start.date(),
                percent,
                figure.downtime_seconds,
                count,
                level_of(percent, figure.downtime_seconds, count),
            )
        )
    return cells


def _touches(span: Span, start: datetime, end: datetime) -> bool:
    """Overlaps [start, end); an outage that has only just begun (no length yet) counts too."""
    if span[0] == span[1]:
        return start <= span[0] <= end
    return span[0] < end and span[1] > start
