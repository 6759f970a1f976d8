"""A user's authenticator and recovery codes; the organization's two-factor requirement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import Membership, Organization, RecoveryCode, TwoFactor


class TwoFactorRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def of(self, user_id: uuid.UUID) -> TwoFactor | None:
        return await self.db.get(TwoFactor, user_id)

    async def is_enabled(self, user_id: uuid.UUID) -> bool:
        found = await self.db.scalar(
            select(TwoFactor.user_id).where(TwoFactor.user_id == user_id, TwoFactor.enabled_at.is_not(None))
        )
        return found is not None

    def add(self, row: TwoFactor | RecoveryCode) -> None:
        self.db.add(row)

    async def delete_of(self, user_id: uuid.UUID) -> None:
        """The authenticator and every recovery code of the user."""
        await self.db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        await self.db.execute(delete(TwoFactor).where(TwoFactor.user_id == user_id))

    async def claim_step(self, user_id: uuid.UUID, step: int) -> bool:
        """Record ``step`` as used unless it (or a later one) already is: compare-and-set, so two
        requests carrying the same code cannot both succeed, on any number of web nodes."""
        result = await self.db.execute(
            update(TwoFactor)
            .where(
                TwoFactor.user_id == user_id,
                or_(TwoFactor.last_step.is_(None), TwoFactor.last_step < step),
            )
            .values(last_step=step)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def replace_recovery_codes(self, user_id: uuid.UUID, hashes: Sequence[str], now: datetime) -> None:
        await self.db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        for code_hash in hashes:
            self.db.add(RecoveryCode(user_id=user_id, code_hash=code_hash, created_at=now))
        await self.db.flush()

    async def use_recovery_code(self, user_id: uuid.UUID, code_hash: str, now: datetime) -> bool:
        """Mark the code used; False when it is not the user's or was used already (compare-and-set)."""
        result = await self.db.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user_id,
                RecoveryCode.code_hash == code_hash,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def recovery_codes_left(self, user_id: uuid.UUID) -> int:
        count = await self.db.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        )
        return int(count or 0)

    async def organizations_requiring(self, user_id: uuid.UUID) -> list[str]:
        """Names of the user's organizations that require two-factor sign-in."""
        rows = await self.db.scalars(
            select(Organization.name)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user_id, Organization.require_two_factor.is_(True))
            .order_by(Organization.name)
        )
        return list(rows.all())
