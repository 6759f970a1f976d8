"""The team's rules without a database: who may remove, demote or hand over to whom, when an
invitation is spent, and what the plans say about room for one more member."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from statusping.domain.accounts import Role
from statusping.domain.errors import Conflict, Forbidden, InvalidInput
from statusping.domain.plans import PLANS, PlanKey
from statusping.domain.team import (
    InvitationState,
    Member,
    assignable_role,
    check_can_change_role,
    check_can_remove,
    check_can_transfer,
    invitation_state,
    team_limit_problem,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
OWNER = Member(uuid.uuid4(), Role.OWNER)
ADMIN = Member(uuid.uuid4(), Role.ADMIN)
OTHER_ADMIN = Member(uuid.uuid4(), Role.ADMIN)
VIEWER = Member(uuid.uuid4(), Role.VIEWER)


def test_an_invitation_is_pending_until_it_expires_is_revoked_or_used() -> None:
    later = NOW + timedelta(days=7)
    assert (
        invitation_state(expires_at=later, revoked_at=None, accepted_at=None, now=NOW)
        is InvitationState.PENDING
    )
    assert (
        invitation_state(expires_at=NOW, revoked_at=None, accepted_at=None, now=NOW)
        is InvitationState.EXPIRED
    )
    assert (
        invitation_state(expires_at=later, revoked_at=NOW, accepted_at=None, now=NOW)
        is InvitationState.REVOKED
    )
    # Used wins over everything: the page says "already used", not "expired", a week later.
    assert (
        invitation_state(expires_at=NOW, revoked_at=None, accepted_at=NOW, now=later)
        is InvitationState.ACCEPTED
    )


@pytest.mark.parametrize(
    ("actor", "target", "error"),
    [
        (ADMIN, OWNER, Forbidden),  # an admin cannot remove the owner
        (OWNER, OWNER, Conflict),  # nor can the owner leave before a transfer
        (VIEWER, ADMIN, Forbidden),
        (ADMIN, OTHER_ADMIN, None),
        (OWNER, VIEWER, None),
        (VIEWER, VIEWER, None),  # leaving
    ],
)
def test_who_may_remove_whom(actor: Member, target: Member, error: type[Exception] | None) -> None:
    if error is None:
        check_can_remove(actor, target)
    else:
        with pytest.raises(error):
            check_can_remove(actor, target)


def test_roles_change_between_admin_and_viewer_only() -> None:
    check_can_change_role(ADMIN, VIEWER, Role.ADMIN)
    with pytest.raises(Forbidden):
        check_can_change_role(ADMIN, OWNER, Role.VIEWER)
    with pytest.raises(Forbidden):
        check_can_change_role(VIEWER, ADMIN, Role.VIEWER)
    with pytest.raises(Conflict):
        check_can_change_role(ADMIN, ADMIN, Role.VIEWER)
    with pytest.raises(InvalidInput):
        assignable_role("owner")
    assert assignable_role("viewer") is Role.VIEWER


def test_only_the_owner_transfers_and_to_someone_else() -> None:
    check_can_transfer(OWNER, ADMIN)
    with pytest.raises(Forbidden):
        check_can_transfer(ADMIN, OTHER_ADMIN)
    with pytest.raises(Conflict):
        check_can_transfer(OWNER, OWNER)


def test_free_and_pro_have_room_for_one_member_and_name_the_plan_that_lifts_it() -> None:
    free, pro, business = PLANS[PlanKey.FREE], PLANS[PlanKey.PRO], PLANS[PlanKey.BUSINESS]
    expected = "team members: the {} plan includes 1 member; the Business plan lifts it"
    assert team_limit_problem(free, members=1, pending=0) == expected.format("Free")
    assert team_limit_problem(pro, members=1, pending=0) == expected.format("Pro")
    assert team_limit_problem(business, members=500, pending=20) is None
    assert team_limit_problem(None, members=500, pending=20) is None  # self-hosted
