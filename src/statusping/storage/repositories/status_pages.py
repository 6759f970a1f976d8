"""Status pages, their components, and the history a public page is drawn from — in a few queries.

A page's render reads: the page and its organization (one query), its components' monitors (one),
then for all of them at once the days with checks, incidents, pauses over the bar's days (one
each) and the organization's maintenance windows (one). No query per component.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Table, delete, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import (
    DailyRollup,
    Monitor,
    MonitorPause,
    Organization,
    StatusPage,
    StatusPageComponent,
)

_DAILY: Table = DailyRollup.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class ComponentRow:
    """A monitor as a status page shows it: plain values, no ORM object."""

    monitor_id: uuid.UUID
    name: str  # the display name if one is set, else the monitor's name
    display_name: str | None
    group: str | None
    position: int
    status: str
    paused: bool
    public: bool
    created_at: datetime


_MONITOR_COLUMNS = (
    Monitor.id, Monitor.name, Monitor.status, Monitor.paused, Monitor.public, Monitor.created_at,
)  # fmt: skip


class StatusPageRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # Pages ----------------------------------------------------------------------------------

    async def by_slug(self, slug: str) -> tuple[StatusPage, Organization] | None:
        row = (
            await self.db.execute(
                select(StatusPage, Organization)
                .join(Organization, Organization.id == StatusPage.organization_id)
                .where(StatusPage.slug == slug)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def list_for(self, org_id: uuid.UUID) -> Sequence[StatusPage]:
        return (
            await self.db.scalars(
                select(StatusPage)
                .where(StatusPage.organization_id == org_id)
                .order_by(StatusPage.created_at, StatusPage.id)
            )
        ).all()

    async def get(self, org_id: uuid.UUID, page_id: uuid.UUID) -> StatusPage | None:
        return await self.db.scalar(
            select(StatusPage).where(StatusPage.organization_id == org_id, StatusPage.id == page_id)
        )

    # Components -----------------------------------------------------------------------------

    async def configured(self, page_id: uuid.UUID) -> list[ComponentRow]:
        """The page's chosen components in order, private monitors included (callers filter)."""
        rows = await self.db.execute(
            select(
                *_MONITOR_COLUMNS,
                StatusPageComponent.display_name,
                StatusPageComponent.group_name,
                StatusPageComponent.position,
            )
            .join(StatusPageComponent, StatusPageComponent.monitor_id == Monitor.id)
            .where(StatusPageComponent.status_page_id == page_id)
            .order_by(StatusPageComponent.position, StatusPageComponent.id)
        )
        return [
            ComponentRow(r.id, r.display_name or r.name, r.display_name, r.group_name, r.position,
                         r.status, r.paused, r.public, r.created_at)
            for r in rows
        ]  # fmt: skip

    async def public_monitors(self, org_id: uuid.UUID) -> list[ComponentRow]:
        """Every public monitor of the organization, by name: a page with no chosen components."""
        rows = await self.db.execute(
            select(*_MONITOR_COLUMNS)
            .where(Monitor.organization_id == org_id, Monitor.public.is_(True))
            .order_by(Monitor.name, Monitor.id)
        )
        return [
            ComponentRow(r.id, r.name, None, None, n, r.status, r.paused, r.public, r.created_at)
            for n, r in enumerate(rows)
        ]

    async def monitors_of_org(self, org_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, bool]:
        """Which of ``ids`` are the organization's monitors, each with its ``public`` flag."""
        if not ids:
            return {}
        rows = await self.db.execute(
            select(Monitor.id, Monitor.public).where(Monitor.organization_id == org_id, Monitor.id.in_(ids))
        )
        return {r.id: r.public for r in rows}

    async def replace_components(self, page_id: uuid.UUID, components: Sequence[StatusPageComponent]) -> None:
        await self.db.execute(
            delete(StatusPageComponent).where(StatusPageComponent.status_page_id == page_id)
        )
        self.db.add_all(components)
        await self.db.flush()

    # History of many monitors at once ----------------------------------------------------------

    async def checked_days(
        self, monitor_ids: Sequence[uuid.UUID], start: datetime, end: datetime
    ) -> dict[uuid.UUID, set[date]]:
        """The UTC days with at least one check, per monitor.

        Daily buckets begin at UTC midnight (services/recording.py floors them), and nearly every
        monitor was checked every day. So one grouped query answers most monitors with a first and
        last day (their days are that whole range); only a monitor with a gap has its days read one
        by one. For a 50-component page: 50 rows instead of 4,500.
        """
        if not monitor_ids:
            return {}
        where = (
            _DAILY.c.monitor_id.in_(monitor_ids),
            _DAILY.c.bucket_start >= start,
            _DAILY.c.bucket_start < end,
            _DAILY.c.checks > 0,
        )
        bucket = _DAILY.c.bucket_start
        spans = await self.db.execute(
            select(_DAILY.c.monitor_id, func.min(bucket), func.max(bucket), func.count(distinct(bucket)))
            .where(*where)
            .group_by(_DAILY.c.monitor_id)
        )
        found: dict[uuid.UUID, set[date]] = {}
        gaps = []
        for monitor_id, first, last, count in spans:
            length = (last.date() - first.date()).days + 1
            if count == length and first.time() == last.time() == time(0):
                found[monitor_id] = {first.date() + timedelta(days=n) for n in range(length)}
            else:
                gaps.append(monitor_id)
        if gaps:
            rows = await self.db.execute(
                select(_DAILY.c.monitor_id, bucket).where(_DAILY.c.monitor_id.in_(gaps), *where[1:])
            )
            for monitor_id, bucket_start in rows:
                found.setdefault(monitor_id, set()).add(bucket_start.date())
        return found

    async def pauses(
        self, monitor_ids: Sequence[uuid.UUID], start: datetime, end: datetime
    ) -> Sequence[MonitorPause]:
        if not monitor_ids:
            return []
        return (
            await self.db.scalars(
                select(MonitorPause).where(
                    MonitorPause.monitor_id.in_(monitor_ids),
                    MonitorPause.started_at < end,
                    MonitorPause.ended_at.is_(None) | (MonitorPause.ended_at > start),
                )
            )
        ).all()
