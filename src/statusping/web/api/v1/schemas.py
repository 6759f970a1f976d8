"""Shapes shared by several API modules."""

from __future__ import annotations

from pydantic import BaseModel

from statusping.services.accounts import Account


class UserOut(BaseModel):
    id: str
    email: str


class OrganizationOut(BaseModel):
    id: str
    name: str
    slug: str
    plan: str


class MeOut(BaseModel):
    user: UserOut
    organization: OrganizationOut
    role: str

    @classmethod
    def of(cls, account: Account) -> MeOut:
        org = account.organization
        return cls(
            user=UserOut(id=str(account.user.id), email=account.user.email),
            organization=OrganizationOut(id=str(org.id), name=org.name, slug=org.slug, plan=org.plan),
            role=account.membership.role,
        )
