"""Billing with Stripe: Checkout and the Customer Portal on the way out, webhook events on the way in.

Every plan change that billing makes goes through :func:`statusping.services.plans.change_plan`,
the use-case ``statusping org set-plan`` uses, so a downgrade by Stripe pauses, raises and
suspends exactly as one from the CLI. The plan an organization has is computed from the last
subscription state applied (domain/billing.py), so replays, late events and the end of a grace
period all reduce to "apply the state, then make the plan match it".
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.billing import (
    PAYING,
    TERMINAL,
    BillingEvent,
    CheckoutCompleted,
    CheckoutOrder,
    FailedPayment,
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
from statusping.domain.errors import Conflict
from statusping.domain.plans import PLANS, PlanKey, get_plan
from statusping.services.accounts import Account
from statusping.services.plans import PlanChange, change_plan
from statusping.storage.models import BillingAccount, Organization
from statusping.storage.models import BillingEvent as ProcessedEvent
from statusping.storage.repositories.accounts import AccountRepository
from statusping.storage.repositories.billing import BillingRepository

log = logging.getLogger(__name__)
DUPLICATE = "duplicate: processed before"


class BillingGateway(Protocol):
    """Stripe's API as billing needs it (outbound/stripe_billing.py implements it)."""

    async def create_checkout(self, order: CheckoutOrder) -> str:
        """A Checkout session's URL; ``PaymentProviderError`` when Stripe refuses or is unreachable."""
        ...

    async def create_portal(self, customer_id: str, return_url: str) -> str:
        """A Customer Portal session's URL."""
        ...


@dataclass(frozen=True, slots=True)
class BillingView:
    """The billing part of the settings page."""

    subscribed_plan: str | None
    status: str | None
    has_customer: bool
    grace_ends_at: datetime | None  # a failed payment is outstanding; the paid plan ends then
    lapsed: bool  # the grace ended and the organization was moved to free


def _state(account: BillingAccount | None) -> SubscriptionState:
    if account is None:
        return SubscriptionState(None, None, None, None, None, None)
    return SubscriptionState(
        subscription_id=account.subscription_id,
        status=parse_status(account.subscription_status) if account.subscription_status else None,
        plan=PlanKey(account.subscribed_plan) if account.subscribed_plan else None,
        created=account.subscription_created_at,
        state_at=account.state_at,
        past_due_since=account.past_due_since,
    )


async def view(db: AsyncSession, org: Organization) -> BillingView:
    account = await BillingRepository(db).account(org.id)
    state = _state(account)
    ends = grace_ends_at(state)
    # Told by what happened, not by the clock alone: the sweep may run a few minutes after the end.
    lapsed = ends is not None and state.plan is not None and org.plan != state.plan.value
    return BillingView(
        subscribed_plan=state.plan.value if state.plan else None,
        status=state.status.value if state.status else None,
        has_customer=bool(account and account.customer_id),
        grace_ends_at=ends if ends and not lapsed else None,
        lapsed=lapsed,
    )


# Outbound: Checkout and the portal -----------------------------------------------------------


async def start_checkout(
    db: AsyncSession,
    gateway: BillingGateway,
    account: Account,
    *,
    plan: str,
    prices: Prices,
    base_url: str,
) -> str:
    """A Checkout session for ``plan``. An organization that already pays is sent to the portal
    instead: a second Checkout would start a second subscription."""
    price_id = prices.price_of(plan)
    org = account.organization
    billing = await BillingRepository(db).account(org.id)
    state = _state(billing)
    if state.status is not None and state.status not in TERMINAL | {SubscriptionStatus.INCOMPLETE}:
        current = f"a {PLANS[state.plan].title}" if state.plan else "a"
        raise Conflict(
            f"this organization already has {current} subscription; change or cancel it in the "
            "billing portal (POST /api/v1/billing/portal)"
        )
    order = CheckoutOrder(
        organization_id=str(org.id),
        plan=PlanKey(plan),
        price_id=price_id,
        customer_id=billing.customer_id if billing else None,
        email=account.user.email,
        success_url=f"{base_url}/settings?billing=success#plan",
        cancel_url=f"{base_url}/settings?billing=cancelled#plan",
    )
    return await gateway.create_checkout(order)


async def open_portal(db: AsyncSession, gateway: BillingGateway, account: Account, *, base_url: str) -> str:
    billing = await BillingRepository(db).account(account.organization.id)
    if billing is None or not billing.customer_id:
        raise Conflict("no billing account yet: choose a plan first (POST /api/v1/billing/checkout)")
    return await gateway.create_portal(billing.customer_id, f"{base_url}/settings#plan")


# Inbound: webhook events ---------------------------------------------------------------------


async def handle_event(db: AsyncSession, event: BillingEvent, *, now: datetime) -> str:
    """Apply one verified event once; returns what it did (also kept with the event id)."""
    repo = BillingRepository(db)
    record = ProcessedEvent(
        id=event.id, type=event.type, event_created_at=event.created, received_at=now, outcome="pending"
    )
    if not await repo.record_event(record):
        return DUPLICATE
    org: Organization | None = None
    if event.subscription is not None:
        org, outcome = await _on_subscription(db, event.subscription, event.created, now)
    elif event.checkout is not None:
        org, outcome = await _on_checkout(db, event.checkout, event.created, now)
    elif event.failed_payment is not None:
        org, outcome = await _on_failed_payment(db, event.failed_payment, event.created, now)
    else:
        outcome = "ignored: not an event billing acts on"
    record.organization_id = org.id if org else None
    record.outcome = outcome[:200]
    await db.flush()
    log.info("stripe event %s (%s): %s", event.id, event.type, outcome)
    return outcome


async def end_lapsed_grace(db: AsyncSession, now: datetime) -> list[PlanChange]:
    """Move organizations whose grace period after a failed payment has ended to the free plan
    (run periodically by the engine's housekeeping; an event that arrives first does it too)."""
    repo = BillingRepository(db)
    changes = []
    for billing in await repo.in_grace():
        org = await repo.organization(billing.organization_id)
        if org is not None:
            change = await _match_plan(db, org, billing, now)
            if change is not None:
                changes.append(change)
    return changes


async def _organization(db: AsyncSession, org_id: str | None, customer_id: str | None) -> Organization | None:
    repo = BillingRepository(db)
    if org_id:
        try:
            found = await repo.organization(uuid.UUID(org_id))
        except ValueError:
            found = None
        if found is not None:
            return found
    return await repo.organization_of_customer(customer_id) if customer_id else None


async def _billing_of(
    db: AsyncSession, org: Organization, customer_id: str | None, now: datetime
) -> BillingAccount:
    """The organization's billing account, locked (events for one organization take turns), with
    the Stripe customer linked unless another organization already has it."""
    await AccountRepository(db).lock_organization(org.id)
    repo = BillingRepository(db)
    billing = await repo.account_for_update(org.id, now)
    if customer_id and billing.customer_id is None:
        holder = await repo.organization_of_customer(customer_id)
        if holder is None:
            billing.customer_id = customer_id
    return billing


async def _match_plan(
    db: AsyncSession, org: Organization, billing: BillingAccount, now: datetime
) -> PlanChange | None:
    wanted = effective_plan(_state(billing), now)
    if wanted.value == org.plan:
        return None
    return await change_plan(db, org, get_plan(wanted.value), now)


def _outcome(change: PlanChange | None, org: Organization) -> str:
    return f"plan {change.old_plan} -> {change.new_plan}" if change else f"plan stays {org.plan}"


async def _on_subscription(
    db: AsyncSession, sub: SubscriptionSnapshot, event_at: datetime, now: datetime
) -> tuple[Organization | None, str]:
    org = await _organization(db, sub.organization_id, sub.customer_id)
    if org is None:
        org = await BillingRepository(db).organization_of_subscription(sub.id)
    if org is None:
        return None, f"ignored: no organization for customer {sub.customer_id}"
    billing = await _billing_of(db, org, sub.customer_id, now)
    state = _state(billing)
    if not is_news(state, sub, event_at):
        return org, "ignored: older than what is known of the subscription"
    if sub.plan is None and sub.status not in TERMINAL:
        log.warning("subscription %s has none of the configured prices; ignored", sub.id)
        return org, "ignored: priced with none of the configured prices"
    if sub.id != state.subscription_id:
        state = SubscriptionState(sub.id, None, None, sub.created, None, None)
    billing.subscription_id = sub.id
    billing.subscription_status = sub.status.value
    billing.subscribed_plan = (sub.plan or state.plan or PlanKey.FREE).value
    billing.subscription_created_at = sub.created
    billing.state_at = event_at
    billing.past_due_since = past_due_since(state, sub.status, event_at)
    billing.updated_at = now
    return org, _outcome(await _match_plan(db, org, billing, now), org)


async def _on_checkout(
    db: AsyncSession, done: CheckoutCompleted, event_at: datetime, now: datetime
) -> tuple[Organization | None, str]:
    """Links the customer; provisions the plan at once if no subscription event came first."""
    org = await _organization(db, done.organization_id, done.customer_id)
    if org is None:
        return None, f"ignored: no organization {done.organization_id!r}"
    billing = await _billing_of(db, org, done.customer_id, now)
    state = _state(billing)
    adopt = (
        done.paid
        and done.plan is not None
        and done.subscription_id is not None
        and done.subscription_id != state.subscription_id
        and (state.status is None or state.status in TERMINAL | {SubscriptionStatus.INCOMPLETE})
    )
    if not adopt or done.plan is None or done.subscription_id is None:
        return org, "customer linked"
    billing.subscription_id = done.subscription_id
    billing.subscription_status = SubscriptionStatus.ACTIVE.value
    billing.subscribed_plan = done.plan.value
    billing.subscription_created_at = event_at
    billing.state_at = event_at
    billing.past_due_since = None
    billing.updated_at = now
    return org, _outcome(await _match_plan(db, org, billing, now), org)


async def _on_failed_payment(
    db: AsyncSession, failed: FailedPayment, event_at: datetime, now: datetime
) -> tuple[Organization | None, str]:
    """Starts the grace period; the plan stays until it ends (or the subscription is paid)."""
    repo = BillingRepository(db)
    org = await repo.organization_of_subscription(failed.subscription_id) if failed.subscription_id else None
    org = org or await _organization(db, None, failed.customer_id)
    if org is None:
        return None, f"ignored: no organization for customer {failed.customer_id}"
    billing = await _billing_of(db, org, failed.customer_id, now)
    state = _state(billing)
    if failed.subscription_id and state.subscription_id and failed.subscription_id != state.subscription_id:
        return org, "ignored: a payment for another subscription"
    if state.status not in PAYING | {SubscriptionStatus.PAST_DUE}:
        return org, "ignored: no paid subscription to keep"
    if state.status in PAYING and state.state_at is not None and event_at < state.state_at:
        return org, "ignored: paid since"
    if billing.past_due_since is None:
        billing.past_due_since = event_at
        billing.updated_at = now
    ends = grace_ends_at(_state(billing))
    change = await _match_plan(db, org, billing, now)
    return org, f"payment failed; grace until {ends:%Y-%m-%d %H:%M} UTC; {_outcome(change, org)}"
