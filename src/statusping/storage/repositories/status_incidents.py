"""Communication incidents of status pages and their updates.

Management queries start from the page (itself already scoped to the organization). The public
reads return plain domain values (``PostedIncident``), built from one joined query, so a page's
render pays one query for all its incidents and their timelines.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.status_incidents import Impact, IncidentStatus, PostedIncident, PostedUpdate
from statusping.storage.models import AutomaticIncidentUpdate, Incident, StatusIncident, StatusIncidentUpdate


def posted(incident: StatusIncident, updates: Sequence[StatusIncidentUpdate]) -> PostedIncident:
    """The plain value of an incident; ``updates`` newest first."""
    return PostedIncident(
        id=str(incident.id),
        title=incident.title,
        status=IncidentStatus(incident.status),
        impact=Impact(incident.impact),
        component_ids=list(incident.monitor_ids or []),
        created_at=incident.created_at,
        updated_at=incident.updated_at,
        resolved_at=incident.resolved_at,
        updates=[PostedUpdate(str(u.id), IncidentStatus(u.status), u.body, u.created_at) for u in updates],
    )


class StatusIncidentRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # Management ------------------------------------------------------------------------------

    async def list_for(self, page_id: uuid.UUID, *, offset: int, limit: int) -> Sequence[StatusIncident]:
        return (
            await self.db.scalars(
                select(StatusIncident)
                .where(StatusIncident.status_page_id == page_id)
                .order_by(StatusIncident.created_at.desc(), StatusIncident.id)
                .offset(offset)
                .limit(limit)
            )
        ).all()

    async def count_for(self, page_id: uuid.UUID) -> int:
        found = await self.db.scalar(
            select(func.count()).select_from(StatusIncident).where(StatusIncident.status_page_id == page_id)
        )
        return int(found or 0)

    async def get(self, page_id: uuid.UUID, incident_id: uuid.UUID) -> StatusIncident | None:
        return await self.db.scalar(
            select(StatusIncident).where(
                StatusIncident.status_page_id == page_id, StatusIncident.id == incident_id
            )
        )

    async def updates_of(
        self, incident_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[StatusIncidentUpdate]]:
        """Each incident's updates, newest first."""
        found: dict[uuid.UUID, list[StatusIncidentUpdate]] = {i: [] for i in incident_ids}
        if not incident_ids:
            return found
        rows = await self.db.scalars(
            select(StatusIncidentUpdate)
            .where(StatusIncidentUpdate.incident_id.in_(incident_ids))
            .order_by(StatusIncidentUpdate.created_at.desc(), StatusIncidentUpdate.id.desc())
        )
        for update in rows:
            found[update.incident_id].append(update)
        return found

    def add(self, row: StatusIncident | StatusIncidentUpdate | AutomaticIncidentUpdate) -> None:
        self.db.add(row)

    async def delete(self, incident: StatusIncident) -> None:
        await self.db.delete(incident)

    # Public reads ----------------------------------------------------------------------------

    async def recent(self, page_id: uuid.UUID, since: datetime, limit: int = 50) -> list[PostedIncident]:
        """Open incidents and those resolved after ``since``, newest first, with their updates."""
        query = (
            select(StatusIncident)
            .where(
                StatusIncident.status_page_id == page_id,
                or_(StatusIncident.resolved_at.is_(None), StatusIncident.resolved_at > since),
            )
            .order_by(StatusIncident.created_at.desc(), StatusIncident.id)
            .limit(limit)
        )
        return await self._with_updates(query)

    async def created_between(
        self, page_id: uuid.UUID, start: datetime, end: datetime
    ) -> list[PostedIncident]:
        """Incidents begun in [start, end), newest first, with their updates (the history page)."""
        query = (
            select(StatusIncident)
            .where(
                StatusIncident.status_page_id == page_id,
                StatusIncident.created_at >= start,
                StatusIncident.created_at < end,
            )
            .order_by(StatusIncident.created_at.desc(), StatusIncident.id)
        )
        return await self._with_updates(query)

    async def automatic(self, monitor_ids: Sequence[uuid.UUID], incident_id: uuid.UUID) -> Incident | None:
        """An automatic incident, if it is one of these monitors' (the page's public components)."""
        if not monitor_ids:
            return None
        return await self.db.scalar(
            select(Incident).where(Incident.id == incident_id, Incident.monitor_id.in_(monitor_ids))
        )

    async def automatic_told(
        self, page_id: uuid.UUID, monitor_ids: Sequence[uuid.UUID], start: datetime, end: datetime
    ) -> list[tuple[Incident, list[PostedUpdate]]]:
        """Automatic incidents of these monitors overlapping [start, end), newest first, each with
        the updates this page's owner posted on it (newest first): one round trip, so a page's
        render costs the same queries whatever is down or annotated."""
        if not monitor_ids:
            return []
        rows = await self.db.execute(
            select(Incident, AutomaticIncidentUpdate)
            .outerjoin(
                AutomaticIncidentUpdate,
                (AutomaticIncidentUpdate.incident_id == Incident.id)
                & (AutomaticIncidentUpdate.status_page_id == page_id),
            )
            .where(
                Incident.monitor_id.in_(monitor_ids),
                Incident.started_at < end,
                Incident.resolved_at.is_(None) | (Incident.resolved_at > start),
            )
            .order_by(
                Incident.started_at.desc(),
                Incident.id,
                AutomaticIncidentUpdate.created_at.desc(),
                AutomaticIncidentUpdate.id.desc(),
            )
        )
        found: dict[uuid.UUID, tuple[Incident, list[PostedUpdate]]] = {}
        for incident, u in rows:
            _, notes = found.setdefault(incident.id, (incident, []))
            if u is not None:
                notes.append(PostedUpdate(str(u.id), IncidentStatus(u.status), u.body, u.created_at))
        return list(found.values())

    async def notes_of(
        self, page_id: uuid.UUID, incident_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[PostedUpdate]]:
        """The updates this page's owner posted on these automatic incidents, newest first."""
        found: dict[uuid.UUID, list[PostedUpdate]] = {i: [] for i in incident_ids}
        if not incident_ids:
            return found
        rows = await self.db.scalars(
            select(AutomaticIncidentUpdate)
            .where(
                AutomaticIncidentUpdate.status_page_id == page_id,
                AutomaticIncidentUpdate.incident_id.in_(incident_ids),
            )
            .order_by(AutomaticIncidentUpdate.created_at.desc(), AutomaticIncidentUpdate.id.desc())
        )
        for u in rows:
            update = PostedUpdate(str(u.id), IncidentStatus(u.status), u.body, u.created_at)
            found[u.incident_id].append(update)
        return found

    async def first_created(self, page_id: uuid.UUID) -> datetime | None:
        found: datetime | None = await self.db.scalar(
            select(func.min(StatusIncident.created_at)).where(StatusIncident.status_page_id == page_id)
        )
        return found

    async def _with_updates(self, incidents: Select[Any]) -> list[PostedIncident]:
        """The incidents of ``incidents`` joined to their updates: one round trip."""
        chosen = incidents.subquery()
        rows = await self.db.execute(
            select(StatusIncident, StatusIncidentUpdate)
            .join(chosen, chosen.c.id == StatusIncident.id)
            .outerjoin(StatusIncidentUpdate, StatusIncidentUpdate.incident_id == StatusIncident.id)
            .order_by(
                StatusIncident.created_at.desc(),
                StatusIncident.id,
                StatusIncidentUpdate.created_at.desc(),
                StatusIncidentUpdate.id.desc(),
            )
        )
        order: list[StatusIncident] = []
        updates: dict[uuid.UUID, list[StatusIncidentUpdate]] = {}
        for incident, update in rows:
            if incident.id not in updates:
                order.append(incident)
                updates[incident.id] = []
            if update is not None:
                updates[incident.id].append(update)
        return [posted(i, updates[i.id]) for i in order]
