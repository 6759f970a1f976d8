"""Billing rules that need no storage and no network: which plan a Stripe subscription pays for,
when an event is news rather than an echo of the past, and how long a failed payment is forgiven.

Stripe delivers webhooks at least once and in no guaranteed order. The rules here make the result
independent of that order: a subscription older than the one we know is ignored, an event older
than the last one applied to the same subscription is ignored, a canceled subscription stays
canceled, and within one second (Stripe's timestamps are whole seconds) a status never moves back
along the subscription's life (``incomplete`` → ``active`` → ``past_due`` → ``unpaid`` → ``canceled``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from statusping.domain.errors import InvalidInput, StatusPingError
from statusping.domain.plans import PLANS, PlanKey

# A failed payment keeps the paid plan this long (with a warning on the settings page); then the
# organization moves to free until the subscription is paid again (docs/decisions.md).
GRACE_PERIOD = timedelta(days=7)


class SubscriptionStatus(StrEnum):
    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    PAUSED = "paused"
    CANCELED = "canceled"


PAYING = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING})
# Stripe never brings these back: a new checkout makes a new subscription.
TERMINAL = frozenset({SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED})
# How far along its life a subscription is, for events stamped with the same second.
_STAGE = {
    SubscriptionStatus.INCOMPLETE: 0,
    SubscriptionStatus.TRIALING: 1,
    SubscriptionStatus.ACTIVE: 2,
    SubscriptionStatus.PAST_DUE: 3,
    SubscriptionStatus.PAUSED: 4,
    SubscriptionStatus.UNPAID: 4,
    SubscriptionStatus.INCOMPLETE_EXPIRED: 5,
    SubscriptionStatus.CANCELED: 5,
}
PAID_PLANS = (PlanKey.PRO, PlanKey.BUSINESS)


class PaymentProviderError(StatusPingError):
    """Stripe refused a request or did not answer; nothing was changed here."""

    status_code = 502


class InvalidWebhook(StatusPingError):
    """A webhook whose signature does not verify, or whose body is not a Stripe event."""

    status_code = 400


def parse_status(value: str) -> SubscriptionStatus:
    """A status Stripe may add later counts as not paying, never as paying."""
    try:
        return SubscriptionStatus(value)
    except ValueError:
        return SubscriptionStatus.UNPAID


@dataclass(frozen=True, slots=True)
class Prices:
    """The Stripe price ids configured for the paid plans (``STATUSPING_STRIPE_PRICE_*``)."""

    pro: str
    business: str

    def plan_of(self, price_ids: tuple[str, ...]) -> PlanKey | None:
        """The dearest plan among a subscription's prices; None if none of them is ours."""
        if self.business in price_ids:
            return PlanKey.BUSINESS
        if self.pro in price_ids:
            return PlanKey.PRO
        return None

    def price_of(self, plan: str) -> str:
        if plan == PlanKey.PRO.value:
            return self.pro
        if plan == PlanKey.BUSINESS.value:
            return self.business
        titles = " or ".join(f"{PLANS[p].key.value!r}" for p in PAID_PLANS)
        raise InvalidInput(f"plan must be {titles}; free needs no checkout", field="plan")


@dataclass(frozen=True, slots=True)
class CheckoutOrder:
    """What a Checkout session is made of (the gateway turns it into Stripe's parameters)."""

    organization_id: str
    plan: PlanKey
    price_id: str
    customer_id: str | None  # reused when the organization already has one
    email: str  # prefilled for a new customer
    success_url: str
    cancel_url: str


@dataclass(frozen=True, slots=True)
class SubscriptionSnapshot:
    """A subscription as one event shows it."""

    id: str
    customer_id: str
    status: SubscriptionStatus
    plan: PlanKey | None  # None: priced with none of our prices
    created: datetime
    organization_id: str | None  # from the metadata our checkout puts on the subscription


@dataclass(frozen=True, slots=True)
class CheckoutCompleted:
    session_id: str
    organization_id: str | None  # client_reference_id
    customer_id: str | None
    subscription_id: str | None
    plan: PlanKey | None  # the plan our checkout session was made for (its metadata)
    paid: bool


@dataclass(frozen=True, slots=True)
class FailedPayment:
    customer_id: str | None
    subscription_id: str | None


@dataclass(frozen=True, slots=True)
class BillingEvent:
    """A verified Stripe event, reduced to what billing acts on (one of the three parts is set for
    the event types we handle; none for the rest, which are recorded and ignored)."""

    id: str
    type: str
    created: datetime
    checkout: CheckoutCompleted | None = None
    subscription: SubscriptionSnapshot | None = None
    failed_payment: FailedPayment | None = None


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    """What we last applied about an organization's subscription."""

    subscription_id: str | None
    status: SubscriptionStatus | None
    plan: PlanKey | None
    created: datetime | None
    state_at: datetime | None  # the creation time of the last event applied
    past_due_since: datetime | None


def is_news(state: SubscriptionState, incoming: SubscriptionSnapshot, event_at: datetime) -> bool:
    """Whether an event about ``incoming`` may replace ``state`` (see the module's docstring)."""
    if state.subscription_id is None:
        return True
    if incoming.id != state.subscription_id:
        # Another subscription: the newer one is the organization's (a resubscription after a
        # cancel); the old one's late events must not touch it.
        return state.created is None or incoming.created >= state.created
    if state.status in TERMINAL and incoming.status not in TERMINAL:
        return False
    if state.state_at is None or event_at > state.state_at:
        return True
    if event_at < state.state_at:
        return False
    old_stage = _STAGE[state.status] if state.status else -1
    return _STAGE[incoming.status] >= old_stage


def past_due_since(
    state: SubscriptionState, status: SubscriptionStatus, event_at: datetime
) -> datetime | None:
    """When the current run of failed payments began: kept while it lasts, cleared by news of a
    paying subscription that is newer than the failure (an older "active" is no such news)."""
    if status in PAYING:
        if state.past_due_since is not None and event_at <= state.past_due_since:
            return state.past_due_since
        return None
    if status is SubscriptionStatus.PAST_DUE:
        return state.past_due_since or event_at
    return state.past_due_since


def grace_ends_at(state: SubscriptionState) -> datetime | None:
    """After a failed payment on a live subscription: when the paid plan ends unless it is paid."""
    if state.past_due_since is None or state.status not in _GRACED:
        return None
    return state.past_due_since + GRACE_PERIOD


_GRACED = PAYING | {SubscriptionStatus.PAST_DUE}


def effective_plan(state: SubscriptionState, now: datetime) -> PlanKey:
    """The plan the organization has now: paid while active or trialing, and within the grace of a
    failed payment; free otherwise (unpaid, canceled, never completed, or grace over)."""
    if state.plan is None or state.status not in _GRACED:
        return PlanKey.FREE
    ends = grace_ends_at(state)
    if ends is not None and now >= ends:
        return PlanKey.FREE
    return state.plan
