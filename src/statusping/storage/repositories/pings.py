"""A heartbeat's ping log: write one, keep the newest few, read them back newest first."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import Ping

# As healthchecks keeps (its default ping log length): enough to see the last runs' output.
KEEP_PINGS = 100


class PingRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def add(self, ping: Ping) -> None:
        """Store ``ping`` and drop this monitor's pings beyond the newest ``KEEP_PINGS``."""
        self.db.add(ping)
        await self.db.flush()
        cutoff = await self.db.scalar(
            select(Ping.received_at)
            .where(Ping.monitor_id == ping.monitor_id)
            .order_by(Ping.received_at.desc())
            .offset(KEEP_PINGS)
            .limit(1)
        )
        if cutoff is not None:
            await self.db.execute(
                delete(Ping).where(Ping.monitor_id == ping.monitor_id, Ping.received_at <= cutoff)
            )

    async def recent(self, monitor_id: uuid.UUID, *, limit: int) -> Sequence[Ping]:
        return (
            await self.db.scalars(
                select(Ping)
                .where(Ping.monitor_id == monitor_id)
                .order_by(Ping.received_at.desc(), Ping.id.desc())
                .limit(limit)
            )
        ).all()
