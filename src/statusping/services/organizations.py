"""Organization settings an owner or admin may change."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.accounts import clean_org_name
from statusping.domain.maintenance import zone_named
from statusping.storage.models import Organization


async def set_timezone(db: AsyncSession, org: Organization, timezone: str) -> Organization:
    """The zone new maintenance windows default to; windows already saved keep theirs."""
    zone_named(timezone)
    org.timezone = timezone
    await db.flush()
    return org


async def rename(db: AsyncSession, org: Organization, name: str) -> Organization:
    """The name shown in the app and on the status page; the slug (its URL) stays."""
    org.name = clean_org_name(name)
    await db.flush()
    return org
