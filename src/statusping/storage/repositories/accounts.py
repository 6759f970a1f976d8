"""Users, organizations, memberships and their sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import (
    Membership,
    Organization,
    PasswordResetToken,
    StatusPage,
    User,
    UserSession,
)


class AccountRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def user_by_email(self, email: str) -> User | None:
        return await self.db.scalar(select(User).where(User.email == email))

    async def user_by_id(self, user_id: uuid.UUID) -> User | None:
        return await self.db.get(User, user_id)

    async def email_taken(self, email: str) -> bool:
        return bool(await self.db.scalar(select(exists().where(User.email == email))))

    async def slugs_taken(self, candidates: list[str]) -> set[str]:
        org_slugs = await self.db.scalars(select(Organization.slug).where(Organization.slug.in_(candidates)))
        page_slugs = await self.db.scalars(select(StatusPage.slug).where(StatusPage.slug.in_(candidates)))
        return set(org_slugs) | set(page_slugs)

    async def lock_organization(self, org_id: uuid.UUID) -> None:
        """Hold the organization's row until the transaction ends, so that limits counted per
        organization (count, then insert) take turns instead of all counting the same rows.
        On SQLite every write transaction is already serialized (BEGIN IMMEDIATE); FOR UPDATE is
        dropped there and this is a plain read."""
        await self.db.execute(select(Organization.id).where(Organization.id == org_id).with_for_update())

    async def org_by_slug(self, slug: str) -> Organization | None:
        return await self.db.scalar(select(Organization).where(Organization.slug == slug))

    async def primary_membership(self, user_id: uuid.UUID) -> tuple[Membership, Organization] | None:
        row = (
            await self.db.execute(
                select(Membership, Organization)
                .join(Organization, Organization.id == Membership.organization_id)
                .where(Membership.user_id == user_id)
                .order_by(Membership.created_at, Membership.id)
                .limit(1)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def status_page_for_org(self, org_id: uuid.UUID) -> StatusPage | None:
        return await self.db.scalar(
            select(StatusPage)
            .where(StatusPage.organization_id == org_id)
            .order_by(StatusPage.created_at)
            .limit(1)
        )

    async def status_page_by_slug(self, slug: str) -> StatusPage | None:
        return await self.db.scalar(select(StatusPage).where(StatusPage.slug == slug))

    def add(self, *objects: object) -> None:
        self.db.add_all(objects)

    async def flush(self) -> None:
        await self.db.flush()

    # Sessions -------------------------------------------------------------------------------

    async def session_with_user(self, token_hash: str, now: datetime) -> tuple[UserSession, User] | None:
        row = (
            await self.db.execute(
                select(UserSession, User)
                .join(User, User.id == UserSession.user_id)
                .where(UserSession.token_hash == token_hash, UserSession.expires_at > now)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def delete_session(self, token_hash: str) -> None:
        await self.db.execute(delete(UserSession).where(UserSession.token_hash == token_hash))

    async def delete_sessions_of(self, user_id: uuid.UUID) -> None:
        await self.db.execute(delete(UserSession).where(UserSession.user_id == user_id))

    # Password resets ------------------------------------------------------------------------

    async def reset_token(self, token_hash: str) -> PasswordResetToken | None:
        return await self.db.scalar(
            select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash)
        )

    async def delete_reset_tokens_of(self, user_id: uuid.UUID) -> None:
        """Every outstanding link dies with a password change or reset, not just the one used."""
        await self.db.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user_id))
