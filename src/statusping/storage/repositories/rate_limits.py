from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import AuthFailure


class RateLimitRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def count_since(self, scope: str, key: str, since: datetime) -> int:
        count = await self.db.scalar(
            select(func.count())
            .select_from(AuthFailure)
            .where(AuthFailure.scope == scope, AuthFailure.key == key, AuthFailure.created_at > since)
        )
        return int(count or 0)

    async def oldest_since(self, scope: str, key: str, since: datetime) -> datetime | None:
        return await self.db.scalar(
            select(AuthFailure.created_at)
            .where(AuthFailure.scope == scope, AuthFailure.key == key, AuthFailure.created_at > since)
            .order_by(AuthFailure.created_at)
            .limit(1)
        )

    def record(self, scope: str, key: str, now: datetime) -> None:
        self.db.add(AuthFailure(scope=scope, key=key, created_at=now))

    async def prune_before(self, scope: str, cutoff: datetime) -> None:
        await self.db.execute(
            delete(AuthFailure).where(AuthFailure.scope == scope, AuthFailure.created_at < cutoff)
        )
