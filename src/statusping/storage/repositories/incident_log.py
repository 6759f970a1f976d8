"""The organization-wide list of automatic incidents (one monitor's outage each), newest first."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import Incident, Monitor


class IncidentLogRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    @staticmethod
    def _where(org_id: uuid.UUID, state: str | None) -> list[Any]:
        conditions: list[Any] = [Incident.organization_id == org_id]
        if state == "open":
            conditions.append(Incident.resolved_at.is_(None))
        elif state == "resolved":
            conditions.append(Incident.resolved_at.is_not(None))
        return conditions

    async def page(
        self, org_id: uuid.UUID, *, state: str | None, limit: int, offset: int
    ) -> Sequence[tuple[Incident, str]]:
        """(incident, monitor name) rows."""
        query = (
            select(Incident, Monitor.name)
            .join(Monitor, Monitor.id == Incident.monitor_id)
            .where(*self._where(org_id, state))
            .order_by(Incident.started_at.desc(), Incident.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [(row[0], row[1]) for row in (await self.db.execute(query)).all()]

    async def count(self, org_id: uuid.UUID, *, state: str | None) -> int:
        query = select(func.count()).select_from(Incident).where(*self._where(org_id, state))
        return int(await self.db.scalar(query) or 0)
