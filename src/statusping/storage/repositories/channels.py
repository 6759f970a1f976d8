"""Alert channels and which monitors use them. Every user-facing query starts from the organization."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import Channel, MonitorChannel


class ChannelRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def get(self, org_id: uuid.UUID, channel_id: uuid.UUID) -> Channel | None:
        return await self.db.scalar(
            select(Channel).where(Channel.organization_id == org_id, Channel.id == channel_id)
        )

    async def list_for(self, org_id: uuid.UUID) -> Sequence[Channel]:
        return (
            await self.db.scalars(
                select(Channel)
                .where(Channel.organization_id == org_id)
                .order_by(Channel.created_at, Channel.id)
            )
        ).all()

    async def count(self, org_id: uuid.UUID) -> int:
        total = await self.db.scalar(
            select(func.count()).select_from(Channel).where(Channel.organization_id == org_id)
        )
        return int(total or 0)

    async def ids_in_org(self, org_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        if not ids:
            return set()
        rows = await self.db.scalars(
            select(Channel.id).where(Channel.organization_id == org_id, Channel.id.in_(list(ids)))
        )
        return set(rows)

    async def default_ids(self, org_id: uuid.UUID) -> list[uuid.UUID]:
        rows = await self.db.scalars(
            select(Channel.id)
            .where(Channel.organization_id == org_id, Channel.is_default.is_(True))
            .order_by(Channel.created_at, Channel.id)
        )
        return list(rows)

    # Links ------------------------------------------------------------------------------------

    async def links_of(self, monitor_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        found: dict[uuid.UUID, list[uuid.UUID]] = {m: [] for m in monitor_ids}
        if not monitor_ids:
            return found
        rows = await self.db.execute(
            select(MonitorChannel.monitor_id, MonitorChannel.channel_id)
            .join(Channel, Channel.id == MonitorChannel.channel_id)
            .where(MonitorChannel.monitor_id.in_(list(monitor_ids)))
            .order_by(Channel.created_at, Channel.id)
        )
        for monitor_id, channel_id in rows:
            found[monitor_id].append(channel_id)
        return found

    async def replace_links(self, monitor_id: uuid.UUID, channel_ids: Sequence[uuid.UUID]) -> None:
        await self.db.execute(delete(MonitorChannel).where(MonitorChannel.monitor_id == monitor_id))
        if channel_ids:
            await self.db.execute(
                insert(MonitorChannel), [{"monitor_id": monitor_id, "channel_id": c} for c in channel_ids]
            )

    async def monitor_count(self, channel_id: uuid.UUID) -> int:
        total = await self.db.scalar(
            select(func.count()).select_from(MonitorChannel).where(MonitorChannel.channel_id == channel_id)
        )
        return int(total or 0)
