"""Status page subscribers, and which pages show a monitor (to tell their subscribers)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import (
    AlertEvent,
    Delivery,
    Monitor,
    Organization,
    StatusPage,
    StatusPageComponent,
    Subscriber,
)


class SubscriberRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def find(self, page_id: uuid.UUID, email: str) -> Subscriber | None:
        return await self.db.scalar(
            select(Subscriber).where(Subscriber.status_page_id == page_id, Subscriber.email == email)
        )

    async def get(self, page_id: uuid.UUID, subscriber_id: uuid.UUID) -> Subscriber | None:
        return await self.db.scalar(
            select(Subscriber).where(Subscriber.status_page_id == page_id, Subscriber.id == subscriber_id)
        )

    def add(self, subscriber: Subscriber) -> None:
        self.db.add(subscriber)

    async def remove(self, subscriber: Subscriber) -> None:
        await self.db.delete(subscriber)
        await self.db.flush()

    async def prune_unconfirmed(self, before: datetime) -> None:
        await self.db.execute(
            delete(Subscriber).where(Subscriber.confirmed_at.is_(None), Subscriber.created_at < before)
        )

    async def confirmed(self, page_id: uuid.UUID) -> Sequence[tuple[uuid.UUID, list[str] | None]]:
        """Confirmed subscribers of a page: id and the components each wants (None: all)."""
        rows = await self.db.execute(
            select(Subscriber.id, Subscriber.component_ids).where(
                Subscriber.status_page_id == page_id, Subscriber.confirmed_at.is_not(None)
            )
        )
        return [(r[0], r[1]) for r in rows]

    async def pages_showing(
        self, monitor_ids: Sequence[uuid.UUID], *, automatic: bool
    ) -> list[tuple[StatusPage, uuid.UUID, str]]:
        """(page, monitor, the name the page shows it under) for each public monitor a page shows:
        chosen as a component, or, on a page with no chosen components, every public monitor of its
        organization. Pages without confirmed subscribers are left out, and, for ``automatic``
        notices (outages), pages that do not notify of automatic incidents."""
        if not monitor_ids:
            return []
        has_subscribers = and_(
            exists().where(Subscriber.status_page_id == StatusPage.id, Subscriber.confirmed_at.is_not(None)),
            StatusPage.notify_automatic_incidents.is_(True) if automatic else true(),
        )
        chosen = (
            select(
                StatusPage,
                StatusPageComponent.monitor_id,
                func.coalesce(StatusPageComponent.display_name, Monitor.name),
            )
            .join(StatusPageComponent, StatusPageComponent.status_page_id == StatusPage.id)
            .join(Monitor, Monitor.id == StatusPageComponent.monitor_id)
            .where(StatusPageComponent.monitor_id.in_(monitor_ids), Monitor.public.is_(True), has_subscribers)
        )
        no_components = ~exists().where(StatusPageComponent.status_page_id == StatusPage.id)
        every_public = (
            select(StatusPage, Monitor.id, Monitor.name)
            .join(Monitor, Monitor.organization_id == StatusPage.organization_id)
            .where(Monitor.id.in_(monitor_ids), Monitor.public.is_(True), no_components, has_subscribers)
        )
        found = [(r[0], r[1], r[2]) for r in await self.db.execute(chosen)]
        found += [(r[0], r[1], r[2]) for r in await self.db.execute(every_public)]
        return found

    async def page_with_org(self, page_id: uuid.UUID) -> tuple[StatusPage, Organization] | None:
        row = (
            await self.db.execute(
                select(StatusPage, Organization)
                .join(Organization, Organization.id == StatusPage.organization_id)
                .where(StatusPage.id == page_id)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def add_deliveries(self, rows: list[dict[str, Any]]) -> None:
        """One statement for any number of subscribers (executemany)."""
        if rows:
            await self.db.execute(insert(Delivery), rows)

    async def pages_with_subscribers(self, organization_id: uuid.UUID) -> Sequence[StatusPage]:
        return (
            await self.db.scalars(
                select(StatusPage).where(
                    StatusPage.organization_id == organization_id,
                    exists().where(
                        Subscriber.status_page_id == StatusPage.id, Subscriber.confirmed_at.is_not(None)
                    ),
                )
            )
        ).all()

    async def drop_pending_notices(self, kind: str, key: str, value: str) -> None:
        """Delete the deliveries not sent yet of events of ``kind`` whose notice has ``key`` = ``value``."""
        events = select(AlertEvent.id).where(
            AlertEvent.kind == kind, AlertEvent.payload[("notice", key)].as_string() == value
        )
        await self.db.execute(
            delete(Delivery)
            .where(Delivery.status == "pending", Delivery.attempts == 0, Delivery.event_id.in_(events))
            .execution_options(synchronize_session=False)
        )
