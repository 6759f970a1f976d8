"""What /metrics reads: an organization's monitors and their recent history, a few queries in all."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import HourlyRollup, Incident, Monitor, MonitorPause

Spans = dict[uuid.UUID, list[tuple[datetime, datetime | None]]]


class MetricsRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def monitors(self, org_id: uuid.UUID) -> Sequence[Monitor]:
        rows = await self.db.scalars(
            select(Monitor).where(Monitor.organization_id == org_id).order_by(Monitor.created_at, Monitor.id)
        )
        return rows.all()

    async def counts_since(self, org_id: uuid.UUID, since: datetime) -> dict[uuid.UUID, tuple[int, int]]:
        """(checks, failures) per monitor from the hourly rollups since ``since``, all regions."""
        r = HourlyRollup
        rows = await self.db.execute(
            select(r.monitor_id, func.sum(r.checks), func.sum(r.failures))
            .join(Monitor, Monitor.id == r.monitor_id)
            .where(Monitor.organization_id == org_id, r.bucket_start >= since)
            .group_by(r.monitor_id)
        )
        return {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in rows.all()}

    async def outages_since(self, org_id: uuid.UUID, since: datetime) -> Spans:
        rows = await self.db.execute(
            select(Incident.monitor_id, Incident.started_at, Incident.resolved_at).where(
                Incident.organization_id == org_id,
                or_(Incident.resolved_at.is_(None), Incident.resolved_at > since),
            )
        )
        found: Spans = {}
        for monitor_id, started, resolved in rows.all():
            found.setdefault(monitor_id, []).append((started, resolved))
        return found

    async def pauses_since(self, org_id: uuid.UUID, since: datetime) -> Spans:
        p = MonitorPause
        rows = await self.db.execute(
            select(p.monitor_id, p.started_at, p.ended_at)
            .join(Monitor, Monitor.id == p.monitor_id)
            .where(Monitor.organization_id == org_id, or_(p.ended_at.is_(None), p.ended_at > since))
        )
        found: Spans = {}
        for monitor_id, started, ended in rows.all():
            found.setdefault(monitor_id, []).append((started, ended))
        return found
