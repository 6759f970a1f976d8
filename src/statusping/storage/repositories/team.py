"""Members, invitations and the organization a session works in. Every query about a team starts
from the organization's id, so another organization's member or invitation is simply not found."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import ApiKey, Invitation, Membership, Organization, User, UserSession


class TeamRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # Members --------------------------------------------------------------------------------

    async def members(self, org_id: uuid.UUID) -> Sequence[tuple[Membership, User]]:
        rows = await self.db.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == org_id)
            .order_by(Membership.created_at, User.email)
        )
        return [(m, u) for m, u in rows]

    async def member(self, org_id: uuid.UUID, membership_id: uuid.UUID) -> tuple[Membership, User] | None:
        row = (
            await self.db.execute(
                select(Membership, User)
                .join(User, User.id == Membership.user_id)
                .where(Membership.organization_id == org_id, Membership.id == membership_id)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def membership_of(self, org_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
        return await self.db.scalar(
            select(Membership).where(Membership.organization_id == org_id, Membership.user_id == user_id)
        )

    async def member_count(self, org_id: uuid.UUID) -> int:
        return int(
            await self.db.scalar(
                select(func.count()).select_from(Membership).where(Membership.organization_id == org_id)
            )
            or 0
        )

    async def memberships_of_user(self, user_id: uuid.UUID) -> Sequence[tuple[Membership, Organization]]:
        """Every organization of a user, oldest membership first (the first is the default one)."""
        rows = await self.db.execute(
            select(Membership, Organization)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(Membership.user_id == user_id)
            .order_by(Membership.created_at, Membership.id)
        )
        return [(m, o) for m, o in rows]

    async def remove_member(self, membership: Membership) -> None:
        """The membership and the API keys its member made there (they act as that member)."""
        await self.db.execute(
            delete(ApiKey).where(
                ApiKey.organization_id == membership.organization_id,
                ApiKey.created_by_user_id == membership.user_id,
            )
        )
        await self.db.delete(membership)
        await self.db.flush()

    async def delete_user(self, user_id: uuid.UUID) -> None:
        await self.db.execute(delete(User).where(User.id == user_id))

    async def forget_active_organization(self, user_id: uuid.UUID, org_id: uuid.UUID) -> None:
        """Sessions of a member who left fall back to their first organization."""
        await self.db.execute(
            update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.active_organization_id == org_id)
            .values(active_organization_id=None)
        )

    async def set_active_organization(self, token_hash: str, org_id: uuid.UUID) -> None:
        await self.db.execute(
            update(UserSession)
            .where(UserSession.token_hash == token_hash)
            .values(active_organization_id=org_id)
        )

    # Invitations ----------------------------------------------------------------------------

    def add(self, *objects: object) -> None:
        self.db.add_all(objects)

    async def open_invitations(self, org_id: uuid.UUID) -> Sequence[Invitation]:
        """Neither accepted nor revoked (expired ones included: they can be resent)."""
        found = await self.db.scalars(
            select(Invitation)
            .where(
                Invitation.organization_id == org_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .order_by(Invitation.created_at, Invitation.email)
        )
        return list(found)

    async def live_invitation_count(self, org_id: uuid.UUID, now: datetime) -> int:
        return int(
            await self.db.scalar(
                select(func.count())
                .select_from(Invitation)
                .where(
                    Invitation.organization_id == org_id,
                    Invitation.accepted_at.is_(None),
                    Invitation.revoked_at.is_(None),
                    Invitation.expires_at > now,
                )
            )
            or 0
        )

    async def invitation(self, org_id: uuid.UUID, invitation_id: uuid.UUID) -> Invitation | None:
        return await self.db.scalar(
            select(Invitation).where(Invitation.organization_id == org_id, Invitation.id == invitation_id)
        )

    async def open_invitation_for(self, org_id: uuid.UUID, email: str) -> Invitation | None:
        return await self.db.scalar(
            select(Invitation).where(
                Invitation.organization_id == org_id,
                Invitation.email == email,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
        )

    async def invitation_by_token(
        self, token_hash: str, *, for_update: bool = False
    ) -> tuple[Invitation, Organization] | None:
        """``for_update`` holds the invitation until the transaction ends, so two clicks on the same
        link take turns and the second finds it used (FOR UPDATE is a plain read on SQLite, whose
        write transactions are serialized anyway)."""
        query = (
            select(Invitation, Organization)
            .join(Organization, Organization.id == Invitation.organization_id)
            .where(Invitation.token_hash == token_hash)
        )
        if for_update:
            query = query.with_for_update(of=Invitation)
        row = (await self.db.execute(query)).first()
        return (row[0], row[1]) if row else None

    async def user_by_email(self, email: str) -> User | None:
        return await self.db.scalar(select(User).where(User.email == email))

    async def user_by_id(self, user_id: uuid.UUID | None) -> User | None:
        return None if user_id is None else await self.db.get(User, user_id)
