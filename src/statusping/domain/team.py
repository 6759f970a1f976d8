"""Who may do what to whom in a team, and when an invitation is still good. Pure rules: no I/O,
time is a parameter.

Roles (PRODUCT.md §4): the owner may do everything (billing, transfer); an admin everything except
billing, ownership and removing the owner; a viewer only reads. An organization has exactly one
owner: ownership moves by transfer, never by invitation or role change, so "the last owner" can
never be removed or demoted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from statusping.domain.accounts import Role
from statusping.domain.errors import Conflict, Forbidden, InvalidInput, StatusPingError
from statusping.domain.plans import Plan, upgrade_hint

INVITATION_LIFETIME = timedelta(days=7)
# Roles an invitation or a role change may give; "owner" only moves by transfer.
ASSIGNABLE_ROLES = (Role.ADMIN, Role.VIEWER)


class InvitationUnusable(StatusPingError):
    """The link was real but is spent: expired, withdrawn or already used."""

    status_code = 410


class InvitationState(StrEnum):
    PENDING = "pending"
    EXPIRED = "expired"
    REVOKED = "revoked"
    ACCEPTED = "accepted"


@dataclass(frozen=True, slots=True)
class Member:
    """What the rules need to know about one side of a team action."""

    user_id: uuid.UUID
    role: Role


def invitation_state(
    *, expires_at: datetime, revoked_at: datetime | None, accepted_at: datetime | None, now: datetime
) -> InvitationState:
    if accepted_at is not None:
        return InvitationState.ACCEPTED
    if revoked_at is not None:
        return InvitationState.REVOKED
    if expires_at <= now:
        return InvitationState.EXPIRED
    return InvitationState.PENDING


def assignable_role(value: str) -> Role:
    """The role an invitation or a role change asks for, if it may be given that way."""
    try:
        role = Role(value)
    except ValueError:
        role = None
    if role not in ASSIGNABLE_ROLES:
        raise InvalidInput("role must be admin or viewer (ownership moves by transfer)", field="role")
    assert role is not None
    return role


def check_can_manage(actor: Role) -> None:
    """Inviting, removing and changing roles: the owner and admins."""
    if actor not in (Role.OWNER, Role.ADMIN):
        raise Forbidden("only the owner and admins can manage the team")


def check_can_remove(actor: Member, target: Member) -> None:
    """Anyone may leave (remove themselves) except the owner, who must hand ownership over first;
    admins remove admins and viewers, never the owner."""
    if actor.user_id == target.user_id:
        if target.role is Role.OWNER:
            raise Conflict("the owner cannot leave; transfer ownership to another member first")
        return
    check_can_manage(actor.role)
    if target.role is Role.OWNER:
        raise Forbidden("the owner cannot be removed; only a transfer of ownership moves it")


def check_can_change_role(actor: Member, target: Member, new_role: Role) -> None:
    check_can_manage(actor.role)
    if target.role is Role.OWNER:
        raise Forbidden("the owner's role changes only by transferring ownership")
    if new_role not in ASSIGNABLE_ROLES:
        raise InvalidInput("role must be admin or viewer (ownership moves by transfer)", field="role")
    if actor.user_id == target.user_id and new_role is not actor.role:
        # An admin demoting themselves would lock themselves out of this very page by accident.
        raise Conflict("you cannot change your own role; ask the owner or another admin")


def check_can_transfer(actor: Member, target: Member) -> None:
    if actor.role is not Role.OWNER:
        raise Forbidden("only the owner can transfer ownership")
    if actor.user_id == target.user_id:
        raise Conflict("you already own this organization; choose another member")


def team_limit_problem(plan: Plan | None, members: int, pending: int) -> str | None:
    """Why one more invitation does not fit the plan (members plus open invitations), or None."""
    if plan is None or plan.team_members is None or members + pending < plan.team_members:
        return None
    limit = plan.team_members
    hint = upgrade_hint(plan, lambda p: p.team_members is None or p.team_members > limit)
    noun = "member" if limit == 1 else "members"
    return f"team members: the {plan.title} plan includes {limit} {noun}{hint}"
