"""Maintenance windows: every query starts from the organization."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import Maintenance, Monitor


class MaintenanceRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def list_for(self, org_id: uuid.UUID) -> Sequence[Maintenance]:
        rows = await self.db.scalars(
            select(Maintenance)
            .where(Maintenance.organization_id == org_id)
            .order_by(Maintenance.starts_at, Maintenance.id)
        )
        return rows.all()

    async def get(self, org_id: uuid.UUID, maintenance_id: uuid.UUID) -> Maintenance | None:
        return await self.db.scalar(
            select(Maintenance).where(Maintenance.organization_id == org_id, Maintenance.id == maintenance_id)
        )

    async def that_can_be_active(
        self, org_ids: Iterable[uuid.UUID], start: datetime, end: datetime
    ) -> Sequence[Maintenance]:
        """The windows that may have an occurrence overlapping [start, end]: none that begin later,
        none that are over for good before ``start``."""
        ids = list(set(org_ids))
        if not ids:
            return []
        rows = await self.db.scalars(
            select(Maintenance).where(
                Maintenance.organization_id.in_(ids),
                Maintenance.starts_at <= end,
                or_(Maintenance.series_ends_at.is_(None), Maintenance.series_ends_at > start),
            )
        )
        return rows.all()

    async def monitor_ids_of(self, org_id: uuid.UUID, keys: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Which of ``keys`` are monitors of the organization (a window may only name those)."""
        found = await self.db.scalars(
            select(Monitor.id).where(Monitor.organization_id == org_id, Monitor.id.in_(list(keys)))
        )
        return set(found)

    def add(self, maintenance: Maintenance) -> None:
        self.db.add(maintenance)

    async def delete(self, maintenance: Maintenance) -> None:
        await self.db.delete(maintenance)
