"""The SQL behind a status page's address, branding and custom domain."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import Organization, StatusPage, StatusPageSlug


class StatusPageSettingsRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def slug_owner(self, slug: str) -> uuid.UUID | None:
        """The page whose current slug this is."""
        found: uuid.UUID | None = await self.db.scalar(select(StatusPage.id).where(StatusPage.slug == slug))
        return found

    async def domain_owner(self, domain: str) -> uuid.UUID | None:
        found: uuid.UUID | None = await self.db.scalar(
            select(StatusPage.id).where(StatusPage.custom_domain == domain)
        )
        return found

    async def forget_slug(self, slug: str) -> None:
        await self.db.execute(delete(StatusPageSlug).where(StatusPageSlug.slug == slug))

    def remember_slug(self, slug: str, page_id: uuid.UUID) -> None:
        self.db.add(StatusPageSlug(slug=slug, status_page_id=page_id))

    async def moved_to(self, old_slug: str) -> str | None:
        """The current slug of the page that used ``old_slug`` before."""
        found: str | None = await self.db.scalar(
            select(StatusPage.slug)
            .join(StatusPageSlug, StatusPageSlug.status_page_id == StatusPage.id)
            .where(StatusPageSlug.slug == old_slug)
        )
        return found

    async def by_domain(self, domain: str) -> tuple[StatusPage, Organization] | None:
        row = (
            await self.db.execute(
                select(StatusPage, Organization)
                .join(Organization, Organization.id == StatusPage.organization_id)
                .where(StatusPage.custom_domain == domain, StatusPage.domain_verified_at.is_not(None))
            )
        ).first()
        return (row[0], row[1]) if row else None
