"""The incidents page's use-case: the organization's automatic incidents, filtered and paged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import Incident, Organization
from statusping.storage.repositories.incident_log import IncidentLogRepository

STATES = ("all", "open", "resolved")


@dataclass(frozen=True, slots=True)
class IncidentRow:
    incident: Incident
    monitor_name: str
    duration: timedelta  # so far, for an open incident


@dataclass(frozen=True, slots=True)
class IncidentPage:
    rows: list[IncidentRow]
    total: int
    page: int
    pages: int


async def incident_page(
    db: AsyncSession, org: Organization, *, state: str, page: int, per_page: int, now: datetime
) -> IncidentPage:
    """Newest first; ``state`` is one of ``STATES``; a page past the end is the last page."""
    where = None if state == "all" else state
    repo = IncidentLogRepository(db)
    total = await repo.count(org.id, state=where)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    found = await repo.page(org.id, state=where, limit=per_page, offset=(page - 1) * per_page)
    rows = [
        IncidentRow(incident, name, (incident.resolved_at or now) - incident.started_at)
        for incident, name in found
    ]
    return IncidentPage(rows, total, page, pages)
