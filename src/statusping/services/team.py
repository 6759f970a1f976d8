"""Teams: members and their roles, invitations by email, ownership transfer, and the organization a
signed-in browser works in.

An invitation's link carries a random token; only its keyed hash is stored, so a copy of the
database cannot accept invitations. A resend makes a new token (the older link stops working) and a
new expiry. The plan's team limit counts members plus invitations still open, so a free
organization cannot send a hundred invitations and have them all accepted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.accounts import Role, normalize_email
from statusping.domain.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from statusping.domain.passwords import check_new_password
from statusping.domain.team import (
    INVITATION_LIFETIME,
    InvitationState,
    InvitationUnusable,
    Member,
    assignable_role,
    check_can_change_role,
    check_can_manage,
    check_can_remove,
    check_can_transfer,
    invitation_state,
    team_limit_problem,
)
from statusping.security import hash_password, new_token, token_digest
from statusping.services import rate_limits
from statusping.services.accounts import Account
from statusping.services.monitors import Policy
from statusping.storage.models import Invitation, Membership, Organization, User, UserSession
from statusping.storage.repositories.accounts import AccountRepository
from statusping.storage.repositories.team import TeamRepository

EMAIL_MAX_LENGTH = 320
# Per organization, sends and resends alike: every invitation mails an address the organization chose,
# so without a ceiling a Business organization (no member limit) could use us as a mail cannon.
INVITATIONS = rate_limits.Limit(
    "invitation", 30, timedelta(hours=1), "Too many invitations sent from this organization. Try again later."
)


@dataclass(frozen=True, slots=True)
class MemberView:
    id: uuid.UUID  # the membership's id: what /api/v1/members/{id} takes
    user_id: uuid.UUID
    email: str
    role: Role
    joined_at: datetime
    is_you: bool


@dataclass(frozen=True, slots=True)
class InvitationView:
    invitation: Invitation
    state: InvitationState


@dataclass(frozen=True, slots=True)
class SentInvitation:
    """What the invitation email needs; ``token`` exists only here, never in the database."""

    invitation: Invitation
    token: str
    organization: Organization
    invited_by: str


@dataclass(frozen=True, slots=True)
class FoundInvitation:
    """An invitation as its link's page shows it."""

    invitation: Invitation
    organization: Organization
    state: InvitationState
    user_exists: bool


def _digest(secret_key: str, token: str) -> str:
    return token_digest(secret_key, "invitation:" + token)


def _parse_id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"{what} not found") from None


def _member(membership: Membership) -> Member:
    return Member(user_id=membership.user_id, role=Role(membership.role))


def _view(account: Account, membership: Membership, user: User) -> MemberView:
    return MemberView(
        id=membership.id,
        user_id=user.id,
        email=user.email,
        role=Role(membership.role),
        joined_at=membership.created_at,
        is_you=user.id == account.user.id,
    )


# Members ------------------------------------------------------------------------------------


async def list_members(db: AsyncSession, account: Account) -> list[MemberView]:
    rows = await TeamRepository(db).members(account.organization.id)
    rank = {Role.OWNER: 0, Role.ADMIN: 1, Role.VIEWER: 2}
    views = [_view(account, m, u) for m, u in rows]
    return sorted(views, key=lambda v: (rank[v.role], v.joined_at))


async def _target(db: AsyncSession, account: Account, member_id: str) -> tuple[Membership, User]:
    found = await TeamRepository(db).member(account.organization.id, _parse_id(member_id, "member"))
    if found is None:
        raise NotFound("member not found")
    return found


async def remove_member(db: AsyncSession, account: Account, member_id: str) -> bool:
    """Remove a member, or leave when it is yourself; True when the caller left.

    A user whose last organization this was is deleted with it: they were here only by invitation,
    and an account in no organization could not sign in to anything.
    """
    await AccountRepository(db).lock_organization(account.organization.id)
    membership, user = await _target(db, account, member_id)
    check_can_remove(_member(account.membership), _member(membership))
    repo = TeamRepository(db)
    await repo.remove_member(membership)
    await repo.forget_active_organization(user.id, account.organization.id)
    if not await repo.memberships_of_user(user.id):
        await repo.delete_user(user.id)
    return user.id == account.user.id


async def change_role(db: AsyncSession, account: Account, member_id: str, role: str) -> MemberView:
    new_role = assignable_role(role)
    membership, user = await _target(db, account, member_id)
    check_can_change_role(_member(account.membership), _member(membership), new_role)
    membership.role = new_role.value
    await db.flush()
    return _view(account, membership, user)


async def transfer_ownership(db: AsyncSession, account: Account, member_id: str) -> MemberView:
    """The chosen member becomes the owner; the old owner stays on as an admin."""
    await AccountRepository(db).lock_organization(account.organization.id)
    membership, user = await _target(db, account, member_id)
    check_can_transfer(_member(account.membership), _member(membership))
    account.membership.role = Role.ADMIN.value
    membership.role = Role.OWNER.value
    await db.flush()
    return _view(account, membership, user)


# Invitations --------------------------------------------------------------------------------


async def list_invitations(db: AsyncSession, account: Account, now: datetime) -> list[InvitationView]:
    found = await TeamRepository(db).open_invitations(account.organization.id)
    return [InvitationView(i, _state(i, now)) for i in found]


def _state(invitation: Invitation, now: datetime) -> InvitationState:
    return invitation_state(
        expires_at=invitation.expires_at,
        revoked_at=invitation.revoked_at,
        accepted_at=invitation.accepted_at,
        now=now,
    )


async def _check_room(db: AsyncSession, org: Organization, policy: Policy, now: datetime) -> None:
    repo = TeamRepository(db)
    problem = team_limit_problem(
        policy.plan_of(org), await repo.member_count(org.id), await repo.live_invitation_count(org.id, now)
    )
    if problem:
        raise Forbidden(problem)


async def _count_send(db: AsyncSession, org: Organization, now: datetime) -> None:
    checks = [(INVITATIONS, f"org:{org.id}")]
    await rate_limits.enforce_all(db, checks, now)
    await rate_limits.record_all(db, checks, now)


async def invite(
    db: AsyncSession,
    account: Account,
    *,
    email: str,
    role: str,
    policy: Policy,
    secret_key: str,
    now: datetime,
) -> SentInvitation:
    check_can_manage(Role(account.membership.role))
    given = assignable_role(role)
    address = normalize_email(email)
    if not address or len(address) > EMAIL_MAX_LENGTH or "@" not in address:
        raise InvalidInput("enter a valid email address", field="email")
    org = account.organization
    await AccountRepository(db).lock_organization(org.id)
    repo = TeamRepository(db)
    existing = await repo.user_by_email(address)
    if existing is not None and await repo.membership_of(org.id, existing.id) is not None:
        raise Conflict(f"{address} is already a member of {org.name}")
    if await repo.open_invitation_for(org.id, address) is not None:
        raise Conflict(f"{address} is already invited; resend or revoke that invitation")
    await _check_room(db, org, policy, now)
    await _count_send(db, org, now)
    token = new_token()
    invitation = Invitation(
        organization_id=org.id,
        email=address,
        role=given.value,
        token_hash=_digest(secret_key, token),
        invited_by_user_id=account.user.id,
        sent_at=now,
        expires_at=now + INVITATION_LIFETIME,
        created_at=now,
    )
    repo.add(invitation)
    await db.flush()
    return SentInvitation(invitation, token, org, account.user.email)


async def _open_invitation(db: AsyncSession, account: Account, invitation_id: str) -> Invitation:
    check_can_manage(Role(account.membership.role))
    found = await TeamRepository(db).invitation(
        account.organization.id, _parse_id(invitation_id, "invitation")
    )
    if found is None or found.accepted_at is not None or found.revoked_at is not None:
        raise NotFound("invitation not found")
    return found


async def resend(
    db: AsyncSession, account: Account, invitation_id: str, *, policy: Policy, secret_key: str, now: datetime
) -> SentInvitation:
    """A new link and a new week; the old link stops working."""
    invitation = await _open_invitation(db, account, invitation_id)
    if _state(invitation, now) is InvitationState.EXPIRED:
        # An expired invitation stopped counting toward the plan; reviving it must fit again.
        await AccountRepository(db).lock_organization(account.organization.id)
        await _check_room(db, account.organization, policy, now)
    await _count_send(db, account.organization, now)
    token = new_token()
    invitation.token_hash = _digest(secret_key, token)
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_LIFETIME
    await db.flush()
    return SentInvitation(invitation, token, account.organization, account.user.email)


async def revoke(db: AsyncSession, account: Account, invitation_id: str, now: datetime) -> None:
    invitation = await _open_invitation(db, account, invitation_id)
    invitation.revoked_at = now
    await db.flush()


# Accepting ----------------------------------------------------------------------------------

_UNUSABLE = {
    InvitationState.EXPIRED: "this invitation has expired; ask whoever invited you to send a new one",
    InvitationState.REVOKED: "this invitation was withdrawn; ask the organization's owner or an admin",
    InvitationState.ACCEPTED: "this invitation has already been used; sign in instead",
}


async def find_invitation(
    db: AsyncSession, token: str, *, secret_key: str, now: datetime, for_update: bool = False
) -> FoundInvitation:
    repo = TeamRepository(db)
    found = (
        await repo.invitation_by_token(_digest(secret_key, token), for_update=for_update) if token else None
    )
    if found is None:
        raise NotFound("this invitation link is not valid; check that the whole link was copied")
    invitation, org = found
    user = await repo.user_by_email(invitation.email)
    return FoundInvitation(invitation, org, _state(invitation, now), user_exists=user is not None)


async def accept(
    db: AsyncSession,
    token: str,
    *,
    user: User | None,
    password: str,
    policy: Policy,
    secret_key: str,
    now: datetime,
) -> Account:
    """Join the invitation's organization: as the signed-in ``user`` (whose email it must be), or as
    a new user with ``password`` when nobody has that email yet."""
    found = await find_invitation(db, token, secret_key=secret_key, now=now, for_update=True)
    if found.state is not InvitationState.PENDING:
        raise InvitationUnusable(_UNUSABLE[found.state])
    invitation, org = found.invitation, found.organization
    repo = TeamRepository(db)
    if user is None:
        if found.user_exists:
            raise NotAuthenticated(f"an account with {invitation.email} exists; sign in to accept")
        check_new_password(password, email=invitation.email, org_names=[org.name])
        user = User(id=uuid.uuid4(), email=invitation.email, password_hash=await hash_password(password))
        repo.add(user)
        try:
            await db.flush()
        except IntegrityError:  # signed up with this address a moment ago
            raise NotAuthenticated(f"an account with {invitation.email} exists; sign in to accept") from None
    elif normalize_email(user.email) != invitation.email:
        raise Forbidden(f"this invitation is for {invitation.email}; sign in with that address to accept")
    await AccountRepository(db).lock_organization(org.id)
    membership = await repo.membership_of(org.id, user.id)
    if membership is None:
        # The plan may have shrunk since the invitation was sent.
        problem = team_limit_problem(policy.plan_of(org), await repo.member_count(org.id), 0)
        if problem:
            raise Forbidden(problem)
        membership = Membership(user_id=user.id, organization_id=org.id, role=invitation.role, created_at=now)
        repo.add(membership)
    invitation.accepted_at = now
    await db.flush()
    return Account(user=user, membership=membership, organization=org)


# The organization a browser works in --------------------------------------------------------


async def work_in(db: AsyncSession, session_token: str, org: Organization, *, secret_key: str) -> None:
    """Make ``org`` the organization of the browser holding ``session_token``."""
    await TeamRepository(db).set_active_organization(token_digest(secret_key, session_token), org.id)


async def switch_organization(
    db: AsyncSession, session: UserSession, user: User, organization_id: str
) -> Account:
    org_id = _parse_id(organization_id, "organization")
    for membership, org in await TeamRepository(db).memberships_of_user(user.id):
        if org.id == org_id:
            session.active_organization_id = org.id
            await db.flush()
            return Account(user=user, membership=membership, organization=org)
    raise NotFound("organization not found")


async def organizations_of(db: AsyncSession, user: User) -> list[tuple[Membership, Organization]]:
    return list(await TeamRepository(db).memberships_of_user(user.id))


async def room_problem(db: AsyncSession, org: Organization, policy: Policy, now: datetime) -> str | None:
    """Why the plan has no room for another invitation, shown before anyone tries."""
    try:
        await _check_room(db, org, policy, now)
    except Forbidden as exc:
        return exc.detail
    return None


def unusable_reason(state: InvitationState) -> str | None:
    return _UNUSABLE.get(state)
