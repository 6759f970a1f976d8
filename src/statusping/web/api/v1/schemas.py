"""Shapes shared by several API modules."""

from __future__ import annotations

from pydantic import BaseModel

from statusping.services.accounts import Account
from statusping.storage.models import Organization


class UserOut(BaseModel):
    id: str
    email: str


class OrganizationOut(BaseModel):
    id: str
    name: str
    slug: str
    plan: str
    timezone: str  # IANA zone new maintenance windows default to
    require_two_factor: bool = False  # members must sign in with a second factor

    @classmethod
    def of(cls, org: Organization) -> OrganizationOut:
        return cls(
            id=str(org.id),
            name=org.name,
            slug=org.slug,
            plan=org.plan,
            timezone=org.timezone,
            require_two_factor=org.require_two_factor,
        )


class MeOut(BaseModel):
    user: UserOut
    organization: OrganizationOut
    role: str

    @classmethod
    def of(cls, account: Account) -> MeOut:
        org = account.organization
        return cls(
            user=UserOut(id=str(account.user.id), email=account.user.email),
            organization=OrganizationOut.of(org),
            role=account.membership.role,
        )
