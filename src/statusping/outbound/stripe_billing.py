"""Stripe, through its official library: Checkout and portal sessions out, verified events in.

The library's async requests run on an aiohttp session of our own (opened in the app's lifespan,
closed with it), so no call blocks the event loop. It is not the guarded seam of ``outbound/http.py``:
Stripe's address is the operator's configuration, not a user's input, so the SSRF guard has nothing
to guard, and ``STATUSPING_STRIPE_API_BASE`` may point it at a local stand-in (tests) or a proxy.

Events are verified with ``StripeClient.construct_event`` (the signing secret, Stripe's
``t=…,v1=…`` scheme, 5 minutes' tolerance) and then read into the typed ``domain.billing`` events
with pydantic, so the rules never see Stripe's loosely typed objects.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import aiohttp
import stripe
from pydantic import BaseModel, ConfigDict, ValidationError
from stripe.params.checkout import SessionCreateParams

from statusping.config import Settings
from statusping.domain.billing import (
    BillingEvent,
    CheckoutCompleted,
    CheckoutOrder,
    FailedPayment,
    InvalidWebhook,
    PaymentProviderError,
    Prices,
    SubscriptionSnapshot,
    parse_status,
)
from statusping.domain.plans import PlanKey

log = logging.getLogger(__name__)
TIMEOUT = aiohttp.ClientTimeout(total=20)
SUBSCRIPTION_EVENTS = frozenset(
    {"customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"}
)


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Price(_Loose):
    id: str


class _Item(_Loose):
    price: _Price


class _Items(_Loose):
    data: list[_Item] = []


class _Subscription(_Loose):
    id: str
    customer: str
    status: str
    created: int
    metadata: dict[str, str] = {}
    items: _Items = _Items()


class _CheckoutSession(_Loose):
    id: str
    mode: str | None = None
    client_reference_id: str | None = None
    customer: str | None = None
    subscription: str | None = None
    payment_status: str | None = None
    metadata: dict[str, str] = {}


class _SubscriptionDetails(_Loose):
    subscription: str | None = None


class _InvoiceParent(_Loose):
    subscription_details: _SubscriptionDetails | None = None


class _Invoice(_Loose):
    customer: str | None = None
    subscription: str | None = None  # API versions before 2025-03-31
    parent: _InvoiceParent | None = None  # since then

    @property
    def subscription_id(self) -> str | None:
        details = self.parent.subscription_details if self.parent else None
        return self.subscription or (details.subscription if details else None)


def _at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _plan(value: str | None) -> PlanKey | None:
    try:
        return PlanKey(value) if value else None
    except ValueError:
        return None


class StripeBilling:
    """The ``BillingGateway`` of services/billing.py, and the webhook verifier."""

    def __init__(self, *, secret_key: str, webhook_secret: str, prices: Prices, api_base: str | None) -> None:
        self.prices = prices
        self._webhook_secret = webhook_secret
        self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            http_client=stripe.AIOHTTPClient(session=self._session, timeout=TIMEOUT),
            max_network_retries=1,  # with the idempotency key the library adds
        )

    async def close(self) -> None:
        await self._session.close()

    async def create_checkout(self, order: CheckoutOrder) -> str:
        metadata = {"organization_id": order.organization_id, "plan": order.plan.value}
        params: SessionCreateParams = {
            "mode": "subscription",
            "line_items": [{"price": order.price_id, "quantity": 1}],
            "client_reference_id": order.organization_id,
            "success_url": order.success_url,
            "cancel_url": order.cancel_url,
            "metadata": metadata,
            # Subscription events then name the organization even before the checkout event arrives.
            "subscription_data": {"metadata": metadata},
        }
        if order.customer_id:
            params["customer"] = order.customer_id
        else:
            params["customer_email"] = order.email
        try:
            session = await self._client.v1.checkout.sessions.create_async(params)
        except stripe.StripeError as exc:
            raise PaymentProviderError(_describe("a checkout session", exc)) from exc
        if not session.url:
            raise PaymentProviderError("Stripe answered a checkout session without a URL")
        return session.url

    async def create_portal(self, customer_id: str, return_url: str) -> str:
        try:
            session = await self._client.v1.billing_portal.sessions.create_async(
                {"customer": customer_id, "return_url": return_url}
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(_describe("a billing portal session", exc)) from exc
        return session.url

    def verify(self, payload: bytes, signature: str | None) -> BillingEvent:
        """The event if ``signature`` is Stripe's for ``payload``; ``InvalidWebhook`` otherwise."""
        if not signature:
            raise InvalidWebhook("missing Stripe-Signature header")
        try:
            event = self._client.construct_event(payload, signature, self._webhook_secret)
        except stripe.SignatureVerificationError:
            raise InvalidWebhook(
                "the Stripe-Signature does not match this endpoint's signing secret"
            ) from None
        except ValueError:
            raise InvalidWebhook("the body is not a JSON Stripe event") from None
        return self._read(event.to_dict())

    def _read(self, raw: dict[str, Any]) -> BillingEvent:
        try:
            kind, created = str(raw["type"]), _at(int(raw["created"]))
            event_id, body = str(raw["id"]), raw["data"]["object"]
            if kind in SUBSCRIPTION_EVENTS:
                return BillingEvent(event_id, kind, created, subscription=self._subscription(body))
            if kind == "checkout.session.completed":
                return BillingEvent(event_id, kind, created, checkout=self._checkout(body))
            if kind == "invoice.payment_failed":
                invoice = _Invoice.model_validate(body)
                failed = FailedPayment(customer_id=invoice.customer, subscription_id=invoice.subscription_id)
                return BillingEvent(event_id, kind, created, failed_payment=failed)
            return BillingEvent(event_id, kind, created)
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise InvalidWebhook(f"not a Stripe event this endpoint understands: {exc}") from None

    def _subscription(self, body: Any) -> SubscriptionSnapshot:
        sub = _Subscription.model_validate(body)
        return SubscriptionSnapshot(
            id=sub.id,
            customer_id=sub.customer,
            status=parse_status(sub.status),
            plan=self.prices.plan_of(tuple(item.price.id for item in sub.items.data)),
            created=_at(sub.created),
            organization_id=sub.metadata.get("organization_id"),
        )

    def _checkout(self, body: Any) -> CheckoutCompleted | None:
        session = _CheckoutSession.model_validate(body)
        if session.mode not in (None, "subscription"):
            return None
        return CheckoutCompleted(
            session_id=session.id,
            organization_id=session.client_reference_id or session.metadata.get("organization_id"),
            customer_id=session.customer,
            subscription_id=session.subscription,
            plan=_plan(session.metadata.get("plan")),
            paid=session.payment_status in ("paid", "no_payment_required"),
        )


def billing_gateway(settings: Settings) -> StripeBilling | None:
    """The gateway when billing is on (``Settings.billing_enabled``), else None."""
    key, secret = settings.stripe_secret_key, settings.stripe_webhook_secret
    pro, business = settings.stripe_price_pro, settings.stripe_price_business
    if not settings.billing_enabled or not (key and secret and pro and business):
        return None
    return StripeBilling(
        secret_key=key,
        webhook_secret=secret,
        prices=Prices(pro=pro, business=business),
        api_base=settings.stripe_api_base,
    )


def _describe(what: str, exc: stripe.StripeError) -> str:
    log.warning("Stripe refused %s: %s", what, exc)
    message = exc.user_message or type(exc).__name__
    return f"Stripe could not create {what} ({message}); nothing was changed, try again"
