"""The figures behind /metrics: each monitor's state, last response, uptime and 24 h counts.

One pass for the whole organization: the monitors, the hourly rollups of the last 24 h, the
incidents and pauses that touch the last 30 days and the maintenance windows — five queries however
many monitors there are — then uptime per window computed in memory exactly as the monitor page does
(time-weighted; paused and maintenance time left out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.maintenance import spans_for
from statusping.domain.uptime import Window, uptime
from statusping.services.maintenances import windows_by_org
from statusping.storage.models import Organization
from statusping.storage.repositories.metrics import MetricsRepository

WINDOWS = (Window.DAY, Window.WEEK, Window.MONTH)
COUNTS_SINCE = timedelta(hours=24)
_MOMENT = timedelta(seconds=1)
STATUSES = ("pending", "up", "degraded", "down", "paused", "maintenance")


@dataclass(frozen=True, slots=True)
class MonitorFigures:
    id: str
    name: str
    type: str
    status: str
    response_seconds: float | None
    tls_expires_at: datetime | None
    uptime_ratio: dict[str, float]  # window → 0..1; a window without data is absent
    checks_24h: int
    failures_24h: int


async def monitor_figures(db: AsyncSession, org: Organization, now: datetime) -> list[MonitorFigures]:
    repo = MetricsRepository(db)
    monitors = await repo.monitors(org.id)
    if not monitors:
        return []
    longest = max(w.duration for w in WINDOWS)
    since = now - longest
    counts = await repo.counts_since(org.id, now - COUNTS_SINCE)
    outages = await repo.outages_since(org.id, since)
    pauses = await repo.pauses_since(org.id, since)
    maintenance = (await windows_by_org(db, {org.id}, [since, now + _MOMENT])).get(org.id, [])
    figures = []
    for m in monitors:
        down = [(start, end or now) for start, end in outages.get(m.id, [])]
        excluded = [(start, end or now) for start, end in pauses.get(m.id, [])]
        excluded += spans_for(maintenance, str(m.id), since, now)
        ratios: dict[str, float] = {}
        for window in WINDOWS:
            figure = uptime(
                start=now - window.duration, end=now, monitored_from=m.created_at,
                outages=down, excluded=excluded,
            )  # fmt: skip
            if figure.uptime_percent is not None:
                ratios[window.value] = figure.uptime_percent / 100.0
        checks, failures = counts.get(m.id, (0, 0))
        figures.append(
            MonitorFigures(
                id=str(m.id),
                name=m.name,
                type=m.type,
                status=_status(
                    m.paused, m.status, bool(spans_for(maintenance, str(m.id), now, now + _MOMENT))
                ),
                response_seconds=None if m.last_response_ms is None else m.last_response_ms / 1000.0,
                tls_expires_at=m.ssl_expires_at,
                uptime_ratio=ratios,
                checks_24h=checks,
                failures_24h=failures,
            )
        )
    return figures


def _status(paused: bool, status: str, in_maintenance: bool) -> str:
    """As the API shows it: paused, then maintenance, then what the checks say."""
    if paused:
        return "paused"
    return "maintenance" if in_maintenance else status
