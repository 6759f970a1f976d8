"""What a public monitor's badges say: its status, its uptime over a window, its response time.

Only a public monitor has badges; a private or unknown one is None (the route answers 404 alike,
so a badge URL never tells whether a private monitor exists). So is a monitor of an organization
whose status page is private (behind a password): an image embedded elsewhere carries no cookie,
and a badge must not publish what the page hides.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.maintenance import active_for
from statusping.domain.uptime import Window, uptime, window_allowed
from statusping.services.maintenances import windows_by_org
from statusping.services.monitors import Policy
from statusping.services.statistics import exposure
from statusping.storage.models import Monitor, Organization, StatusPage
from statusping.storage.repositories.history import HistoryRepository

BADGE_WINDOWS = (Window.DAY, Window.WEEK, Window.MONTH, Window.QUARTER)


@dataclass(frozen=True, slots=True)
class PublicMonitor:
    monitor: Monitor
    organization: Organization


async def public_monitor(db: AsyncSession, monitor_id: str) -> PublicMonitor | None:
    try:
        key = uuid.UUID(monitor_id)
    except ValueError:
        return None
    row = (
        await db.execute(
            select(Monitor, Organization)
            .join(Organization, Organization.id == Monitor.organization_id)
            .where(
                Monitor.id == key,
                Monitor.public.is_(True),
                ~exists().where(
                    StatusPage.organization_id == Monitor.organization_id,
                    StatusPage.password_hash.is_not(None),
                ),
            )
        )
    ).first()
    return PublicMonitor(row[0], row[1]) if row else None


async def status(db: AsyncSession, found: PublicMonitor, now: datetime) -> str:
    """up / degraded / down / pending / paused / maintenance."""
    monitor = found.monitor
    if monitor.paused:
        return "paused"
    windows = (await windows_by_org(db, {monitor.organization_id}, [now])).get(monitor.organization_id, [])
    if active_for(windows, str(monitor.id), now):
        return "maintenance"
    return monitor.status


async def uptime_percent(
    db: AsyncSession, found: PublicMonitor, window: Window, policy: Policy, now: datetime
) -> float | None:
    """Time-weighted uptime over the window (as the API's ``/uptime``); None beyond the plan's
    history or before any data."""
    if not window_allowed(window, policy.history_days(found.organization)):
        return None
    start = now - window.duration
    seen = await exposure(db, found.monitor, start, now)
    figure = uptime(
        start=start, end=now, monitored_from=found.monitor.created_at,
        outages=seen.outages, excluded=seen.excluded,
    )  # fmt: skip
    return figure.uptime_percent


async def response_ms(db: AsyncSession, found: PublicMonitor, now: datetime) -> float | None:
    """The average response time of the last 24 hours, else the last check's, else None."""
    _, total, count = await HistoryRepository(db).window_sums(found.monitor.id, now - timedelta(days=1), now)
    if count:
        return total / count
    return found.monitor.last_response_ms
