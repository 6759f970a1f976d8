"""Monitors a downgrade paused (``paused_by_plan``), for the dashboard's notice."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import Monitor


async def count_paused_by_plan(db: AsyncSession, org_id: uuid.UUID) -> int:
    total = await db.scalar(
        select(func.count())
        .select_from(Monitor)
        .where(Monitor.organization_id == org_id, Monitor.paused_by_plan.is_(True))
    )
    return int(total or 0)
