"""Billing's pure rules: which plan a subscription pays for, which event is news, the grace period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statusping.domain.billing import (
    GRACE_PERIOD,
    Prices,
    SubscriptionSnapshot,
    SubscriptionState,
    SubscriptionStatus,
    effective_plan,
    grace_ends_at,
    is_news,
    parse_status,
    past_due_since,
)
from statusping.domain.errors import InvalidInput
from statusping.domain.plans import PlanKey

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
S = SubscriptionStatus
PRICES = Prices(pro="price_pro", business="price_business")


def state(
    status: SubscriptionStatus | None = S.ACTIVE,
    *,
    plan: PlanKey | None = PlanKey.PRO,
    sub_id: str | None = "sub_1",
    created: datetime = T0,
    state_at: datetime | None = T0,
    failed_at: datetime | None = None,
) -> SubscriptionState:
    return SubscriptionState(sub_id, status, plan, created, state_at, failed_at)


def snapshot(
    status: SubscriptionStatus, *, sub_id: str = "sub_1", created: datetime = T0
) -> SubscriptionSnapshot:
    return SubscriptionSnapshot(sub_id, "cus_1", status, PlanKey.PRO, created, None)


def test_prices_map_to_the_dearest_plan_and_unknown_prices_to_none() -> None:
    assert PRICES.plan_of(("price_pro",)) is PlanKey.PRO
    assert PRICES.plan_of(("price_pro", "price_business")) is PlanKey.BUSINESS
    assert PRICES.plan_of(("price_other",)) is None
    assert PRICES.price_of("business") == "price_business"
    with pytest.raises(InvalidInput, match="free needs no checkout"):
        PRICES.price_of("free")


def test_a_status_stripe_adds_later_never_counts_as_paying() -> None:
    assert parse_status("active") is S.ACTIVE
    assert parse_status("some_new_status") is S.UNPAID


@pytest.mark.parametrize(
    ("known", "incoming", "event_at", "news"),
    [
        (state(sub_id=None, status=None), snapshot(S.INCOMPLETE), T0, True),
        (state(), snapshot(S.PAST_DUE), T0 + timedelta(seconds=1), True),
        (state(), snapshot(S.CANCELED), T0 - timedelta(seconds=1), False),  # older than the last applied
        (state(S.ACTIVE), snapshot(S.INCOMPLETE), T0, False),  # same second: never back along the life
        (state(S.INCOMPLETE), snapshot(S.ACTIVE), T0, True),
        (state(S.CANCELED), snapshot(S.ACTIVE), T0 + timedelta(hours=1), False),  # canceled is final
        (
            state(),
            snapshot(S.CANCELED, sub_id="sub_0", created=T0 - timedelta(days=30)),
            T0 + timedelta(hours=1),
            False,
        ),
        (state(S.CANCELED), snapshot(S.ACTIVE, sub_id="sub_2", created=T0 + timedelta(days=1)), T0, True),
    ],
)
def test_only_news_replaces_what_is_known(
    known: SubscriptionState, incoming: SubscriptionSnapshot, event_at: datetime, news: bool
) -> None:
    assert is_news(known, incoming, event_at) is news


def test_the_grace_period_counts_from_the_first_failure_and_ends_when_paid_again() -> None:
    failing = state(S.PAST_DUE, failed_at=T0)
    assert past_due_since(failing, S.PAST_DUE, T0 + timedelta(days=2)) == T0
    assert past_due_since(state(), S.PAST_DUE, T0) == T0
    assert past_due_since(failing, S.ACTIVE, T0 + timedelta(days=2)) is None
    # An "active" stamped before the failure is old news and does not clear it.
    assert past_due_since(failing, S.ACTIVE, T0 - timedelta(minutes=1)) == T0
    assert grace_ends_at(failing) == T0 + GRACE_PERIOD
    assert grace_ends_at(state(S.CANCELED, failed_at=T0)) is None


@pytest.mark.parametrize(
    ("known", "at", "plan"),
    [
        (state(S.ACTIVE), T0, PlanKey.PRO),
        (state(S.TRIALING, plan=PlanKey.BUSINESS), T0, PlanKey.BUSINESS),
        (state(S.PAST_DUE, failed_at=T0), T0 + GRACE_PERIOD - timedelta(seconds=1), PlanKey.PRO),
        (state(S.PAST_DUE, failed_at=T0), T0 + GRACE_PERIOD, PlanKey.FREE),
        (state(S.ACTIVE, failed_at=T0), T0 + GRACE_PERIOD, PlanKey.FREE),  # failure heard before past_due
        (state(S.UNPAID), T0, PlanKey.FREE),
        (state(S.CANCELED), T0, PlanKey.FREE),
        (state(S.INCOMPLETE), T0, PlanKey.FREE),
        (state(None, plan=None, sub_id=None), T0, PlanKey.FREE),
    ],
)
def test_the_plan_follows_the_subscription(known: SubscriptionState, at: datetime, plan: PlanKey) -> None:
    assert effective_plan(known, at) is plan
