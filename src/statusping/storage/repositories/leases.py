from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import Lease


class LeaseRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def acquire(
        self, name: str, owner: str, *, now: datetime, ttl: timedelta, take_over: bool = False
    ) -> bool:
        """Take or renew ``name`` for ``owner``; False while someone else holds it unexpired.

        ``take_over``: the caller knows the holder is dead (it holds the OS lock the holder would
        hold), so the lease is taken whatever its expiry."""
        still_held = or_(Lease.owner == owner, Lease.expires_at < now)
        renewed = await self.db.execute(
            update(Lease)
            .where(Lease.name == name, *(() if take_over else (still_held,)))
            .values(owner=owner, expires_at=now + ttl)
        )
        if renewed.rowcount:  # type: ignore[attr-defined]
            return True
        if await self.db.scalar(select(Lease.name).where(Lease.name == name)) is not None:
            return False
        try:
            async with self.db.begin_nested():
                self.db.add(Lease(name=name, owner=owner, expires_at=now + ttl))
        except IntegrityError:
            return False
        return True

    async def release(self, name: str, owner: str) -> None:
        await self.db.execute(delete(Lease).where(Lease.name == name, Lease.owner == owner))
