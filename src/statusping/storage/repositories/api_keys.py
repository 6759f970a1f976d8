"""API keys and the member each one acts as."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import ApiKey, Membership, Organization, User


class ApiKeyRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    def add(self, key: ApiKey) -> None:
        self.db.add(key)

    async def list(self, org_id: uuid.UUID) -> Sequence[ApiKey]:
        rows = await self.db.scalars(
            select(ApiKey).where(ApiKey.organization_id == org_id).order_by(ApiKey.created_at, ApiKey.id)
        )
        return rows.all()

    async def count(self, org_id: uuid.UUID) -> int:
        return int(
            await self.db.scalar(select(func.count(ApiKey.id)).where(ApiKey.organization_id == org_id)) or 0
        )

    async def delete(self, org_id: uuid.UUID, key_id: uuid.UUID) -> bool:
        result = await self.db.execute(
            delete(ApiKey).where(ApiKey.organization_id == org_id, ApiKey.id == key_id)
        )
        return bool(getattr(result, "rowcount", 0))

    async def holder(self, key_hash: str) -> tuple[ApiKey, User, Membership, Organization] | None:
        """The key with the member it acts as, in the key's organization; None if either is gone."""
        row = (
            await self.db.execute(
                select(ApiKey, User, Membership, Organization)
                .join(User, User.id == ApiKey.created_by_user_id)
                .join(
                    Membership,
                    (Membership.user_id == ApiKey.created_by_user_id)
                    & (Membership.organization_id == ApiKey.organization_id),
                )
                .join(Organization, Organization.id == ApiKey.organization_id)
                .where(ApiKey.key_hash == key_hash)
            )
        ).first()
        return (row[0], row[1], row[2], row[3]) if row else None

    async def touch(self, key_id: uuid.UUID, now: datetime, unless_since: datetime) -> None:
        """Record a use, unless one after ``unless_since`` is already recorded (no write per call)."""
        await self.db.execute(
            update(ApiKey)
            .where(
                ApiKey.id == key_id,
                or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < unless_since),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
