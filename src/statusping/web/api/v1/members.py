"""The team (PRODUCT.md §4): members, invitations, roles, ownership, and which organization a
signed-in user works in. Routes beyond ``GET /members``, ``POST /invitations`` and
``DELETE /members/{id}`` are ours (docs/decisions.md)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, BackgroundTasks, Request, Response, status
from pydantic import BaseModel, EmailStr, Field

from statusping.domain.accounts import Role
from statusping.domain.errors import Forbidden
from statusping.domain.team import InvitationState
from statusping.services import team
from statusping.services.team import InvitationView, MemberView
from statusping.web.api.types import Input
from statusping.web.api.v1.schemas import MeOut
from statusping.web.deps import (
    CurrentAccount,
    Db,
    Manager,
    OptionalSession,
    Owner,
    SettingsDep,
    now,
)
from statusping.web.emails import queue_invitation
from statusping.web.policy import policy_of

router = APIRouter(tags=["team"])


class MemberOut(BaseModel):
    id: str = Field(description="the membership's id, used by the member routes")
    user_id: str
    email: str
    role: Role
    joined_at: datetime
    you: bool = Field(description="this member is the caller")

    @classmethod
    def of(cls, view: MemberView) -> MemberOut:
        return cls(
            id=str(view.id),
            user_id=str(view.user_id),
            email=view.email,
            role=view.role,
            joined_at=view.joined_at,
            you=view.is_you,
        )


class RoleIn(Input):
    role: Role = Field(description="`admin` or `viewer`; ownership moves by transfer", examples=["viewer"])


class InvitationIn(Input):
    email: EmailStr = Field(examples=["sam@example.com"])
    role: Role = Field(description="`admin` or `viewer`", examples=["viewer"])


class InvitationOut(BaseModel):
    id: str
    email: str
    role: Role
    state: InvitationState = Field(description="`pending` or `expired` (resend renews it)")
    sent_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, view: InvitationView) -> InvitationOut:
        i = view.invitation
        return cls(
            id=str(i.id),
            email=i.email,
            role=Role(i.role),
            state=view.state,
            sent_at=i.sent_at,
            expires_at=i.expires_at,
        )


class OrganizationChoiceOut(BaseModel):
    id: str
    name: str
    slug: str
    role: Role
    active: bool


class SwitchIn(Input):
    organization_id: str = Field(max_length=64)


@router.get("/members", response_model=list[MemberOut])
async def list_members(account: CurrentAccount, db: Db) -> list[MemberOut]:
    return [MemberOut.of(m) for m in await team.list_members(db, account)]


@router.patch("/members/{member_id}", response_model=MemberOut)
async def change_role(member_id: str, body: RoleIn, account: Manager, db: Db) -> MemberOut:
    return MemberOut.of(await team.change_role(db, account, member_id, body.role.value))


@router.delete("/members/{member_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(member_id: str, account: CurrentAccount, db: Db) -> Response:
    """Owner and admins remove members (never the owner); anyone may remove themselves (leave)."""
    await team.remove_member(db, account, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/members/{member_id}/transfer-ownership", response_model=MemberOut)
async def transfer_ownership(member_id: str, account: Owner, db: Db) -> MemberOut:
    """The member becomes the owner; you stay on as an admin."""
    return MemberOut.of(await team.transfer_ownership(db, account, member_id))


@router.get("/invitations", response_model=list[InvitationOut])
async def list_invitations(account: Manager, db: Db) -> list[InvitationOut]:
    return [InvitationOut.of(v) for v in await team.list_invitations(db, account, now())]


@router.post("/invitations", status_code=status.HTTP_201_CREATED, response_model=InvitationOut)
async def invite(
    request: Request,
    body: InvitationIn,
    account: Manager,
    db: Db,
    settings: SettingsDep,
    tasks: BackgroundTasks,
) -> InvitationOut:
    sent = await team.invite(
        db,
        account,
        email=body.email,
        role=body.role.value,
        policy=policy_of(settings),
        secret_key=settings.resolved_secret_key,
        now=now(),
    )
    queue_invitation(tasks, request.app.state.mailer, settings, sent)
    return InvitationOut.of(InvitationView(sent.invitation, InvitationState.PENDING))


@router.post("/invitations/{invitation_id}/resend", response_model=InvitationOut)
async def resend(
    request: Request,
    invitation_id: str,
    account: Manager,
    db: Db,
    settings: SettingsDep,
    tasks: BackgroundTasks,
) -> InvitationOut:
    sent = await team.resend(
        db,
        account,
        invitation_id,
        policy=policy_of(settings),
        secret_key=settings.resolved_secret_key,
        now=now(),
    )
    queue_invitation(tasks, request.app.state.mailer, settings, sent)
    return InvitationOut.of(InvitationView(sent.invitation, InvitationState.PENDING))


@router.delete("/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke(invitation_id: str, account: Manager, db: Db) -> Response:
    await team.revoke(db, account, invitation_id, now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/organizations", response_model=list[OrganizationChoiceOut])
async def my_organizations(account: CurrentAccount, db: Db) -> list[OrganizationChoiceOut]:
    return [
        OrganizationChoiceOut(
            id=str(org.id),
            name=org.name,
            slug=org.slug,
            role=Role(m.role),
            active=org.id == account.organization.id,
        )
        for m, org in await team.organizations_of(db, account.user)
    ]


@router.post("/me/organization", response_model=MeOut)
async def switch_organization(
    body: SwitchIn, account: CurrentAccount, session: OptionalSession, db: Db
) -> MeOut:
    """Work in another of your organizations from now on, in this signed-in browser session."""
    if session is None:
        raise Forbidden("an API key always acts in its own organization; switching needs a signed-in session")
    return MeOut.of(await team.switch_organization(db, session[0], account.user, body.organization_id))
