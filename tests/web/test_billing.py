"""Billing's way out to Stripe (PRODUCT.md §4, issue 11): Checkout and the Customer Portal, from the
API and from the settings page, and "Choose Pro" on the landing page through sign-up to checkout.

The app's real ``stripe`` client talks to a local stand-in for Stripe's API (tests/stripe_fake.py),
which records what it was asked; only that HTTP edge is not the real thing.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from statusping.storage.models import Membership
from tests.conftest import make_client
from tests.stripe_fake import (
    PRICE_BUSINESS,
    PRICE_PRO,
    SECRET_KEY,
    FakeStripe,
    billing_settings,
    checkout_completed,
    deliver,
    event,
    running_fake_stripe,
    subscription,
)
from tests.support import PASSWORD, signup, unique_email


@pytest.fixture
async def fake_stripe() -> AsyncIterator[FakeStripe]:
    async with running_fake_stripe() as fake:
        yield fake


@pytest.fixture
def settings_overrides(fake_stripe: FakeStripe) -> dict[str, object]:
    return billing_settings(fake_stripe)


async def subscribe(app: FastAPI, org_id: str, *, plan: str = "pro", customer: str = "cus_1") -> None:
    """Stripe reports a completed checkout, as it would after the customer paid."""
    async with make_client(app) as stripe:
        body = checkout_completed(org_id, customer=customer, sub_id=f"sub_{customer}", plan=plan)
        answer = await deliver(stripe, event("checkout.session.completed", body, created=int(time.time())))
        assert answer.status_code == 200, answer.text


def stripe_url(answer: httpx.Response) -> str:
    """Where the settings page's billing button sends the browser (a refresh and a link)."""
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', answer.text)
    link = re.search(r'<a id="stripe-link" href="([^"]+)"', answer.text)
    assert refresh is not None
    assert link is not None
    assert refresh.group(1) == link.group(1)
    return link.group(1)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def test_checkout_starts_a_subscription_for_the_organization_and_reuses_its_customer(
    app: FastAPI, client: httpx.AsyncClient, fake_stripe: FakeStripe
) -> None:
    me = await signup(client)
    org_id, email = me["organization"]["id"], me["user"]["email"]

    answer = await client.post("/api/v1/billing/checkout", json={"plan": "pro"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["url"].startswith("https://checkout.stripe.test/c/pay/cs_test_")
    [call] = fake_stripe.created("/v1/checkout/sessions")
    assert call.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert call.params["mode"] == "subscription"
    assert call.params["line_items[0][price]"] == PRICE_PRO
    assert call.params["line_items[0][quantity]"] == "1"
    assert call.params["client_reference_id"] == org_id
    assert call.params["subscription_data[metadata][organization_id]"] == org_id
    assert call.params["customer_email"] == email
    assert "customer" not in call.params
    assert call.params["success_url"] == "http://testserver/settings?billing=success#plan"
    assert call.params["cancel_url"] == "http://testserver/settings?billing=cancelled#plan"

    # Subscribed: a second checkout would be a second subscription, so it is refused.
    await subscribe(app, org_id, customer="cus_42")
    again = await client.post("/api/v1/billing/checkout", json={"plan": "business"})
    assert again.status_code == 409
    assert "billing portal" in again.json()["detail"]
    assert again.json()["detail"].startswith("this organization already has a Pro subscription;")

    # Cancelled later: a new checkout reuses the organization's Stripe customer.
    t = int(time.time())
    gone = subscription(
        "sub_cus_42", customer="cus_42", plan="pro", status="canceled", created=t - 5, org_id=org_id
    )
    async with make_client(app) as stripe:
        assert (
            await deliver(stripe, event("customer.subscription.deleted", gone, created=t))
        ).status_code == 200
    back = await client.post("/api/v1/billing/checkout", json={"plan": "business"})
    assert back.status_code == 200, back.text
    last = fake_stripe.created("/v1/checkout/sessions")[-1]
    assert last.params["customer"] == "cus_42"
    assert last.params["line_items[0][price]"] == PRICE_BUSINESS
    assert "customer_email" not in last.params


async def test_the_portal_opens_for_a_customer_only(
    app: FastAPI, client: httpx.AsyncClient, fake_stripe: FakeStripe
) -> None:
    me = await signup(client)
    before = await client.post("/api/v1/billing/portal")
    assert before.status_code == 409
    assert "choose a plan first" in before.json()["detail"]
    assert fake_stripe.calls == []

    await subscribe(app, me["organization"]["id"], customer="cus_portal")
    answer = await client.post("/api/v1/billing/portal")

    assert answer.status_code == 200, answer.text
    assert answer.json()["url"].startswith("https://billing.stripe.test/p/session/")
    [call] = fake_stripe.created("/v1/billing_portal/sessions")
    assert call.params == {"customer": "cus_portal", "return_url": "http://testserver/settings#plan"}


@pytest.mark.parametrize("plan", ["free", "enterprise", ""])
async def test_checkout_refuses_a_plan_it_cannot_sell(
    client: httpx.AsyncClient, fake_stripe: FakeStripe, plan: str
) -> None:
    await signup(client)
    answer = await client.post("/api/v1/billing/checkout", json={"plan": plan})
    assert answer.status_code == 422
    assert fake_stripe.calls == []


async def test_only_the_owner_manages_billing(
    app: FastAPI, client: httpx.AsyncClient, fake_stripe: FakeStripe
) -> None:
    me = await signup(client)
    async with app.state.sessionmaker() as db, db.begin():
        await db.execute(
            update(Membership).where(Membership.user_id == uuid.UUID(me["user"]["id"])).values(role="admin")
        )
    for path, body in (("/api/v1/billing/checkout", {"plan": "pro"}), ("/api/v1/billing/portal", None)):
        answer = await client.post(path, json=body)
        assert answer.status_code == 403
        assert answer.json()["detail"] == "only the organization's owner can manage billing"
    page = (await client.get("/settings")).text
    assert "Only the organization's owner can change the plan" in page
    assert "/settings/billing/checkout" not in page
    assert fake_stripe.calls == []


async def test_a_stripe_failure_is_a_502_that_changes_nothing(
    client: httpx.AsyncClient, fake_stripe: FakeStripe
) -> None:
    await signup(client)
    fake_stripe.fail_with = 400
    answer = await client.post("/api/v1/billing/checkout", json={"plan": "pro"})
    assert answer.status_code == 502
    assert "nothing was changed" in answer.json()["detail"]
    assert (await client.get("/api/v1/me")).json()["organization"]["plan"] == "free"

    # The settings page's button lands back on settings with a message, not on an error page.
    page = await client.get("/settings")
    sent = await client.post(
        "/settings/billing/checkout", data={"plan": "pro", "csrf_token": csrf_of(page.text)}
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/settings?billing=unavailable#plan"
    shown = await client.get(sent.headers["location"])
    assert "Stripe could not be reached; nothing was changed." in shown.text


async def test_settings_show_usage_and_upgrade_buttons_then_manage_billing(
    app: FastAPI, client: httpx.AsyncClient, fake_stripe: FakeStripe
) -> None:
    me = await signup(client)
    page = await client.get("/settings")
    assert "You are on the <strong>Free</strong> plan" in page.text
    assert "0 of 5 monitors" in page.text
    assert "Upgrade to Pro" in page.text
    assert "Upgrade to Business" in page.text
    assert "Manage billing" not in page.text

    sent = await client.post(
        "/settings/billing/checkout", data={"plan": "business", "csrf_token": csrf_of(page.text)}
    )
    assert stripe_url(sent).startswith("https://checkout.stripe.test/c/pay/")
    assert fake_stripe.created("/v1/checkout/sessions")[-1].params["line_items[0][price]"] == PRICE_BUSINESS

    await subscribe(app, me["organization"]["id"], plan="business", customer="cus_ui")
    page = await client.get("/settings?billing=success")
    assert "You are on the <strong>Business</strong> plan" in page.text
    assert "Thank you! Your subscription is being confirmed" in page.text
    assert "Upgrade to" not in page.text
    assert "Manage billing" in page.text
    portal = await client.post("/settings/billing/portal", data={"csrf_token": csrf_of(page.text)})
    assert stripe_url(portal).startswith("https://billing.stripe.test/p/session/")
    # Without the right CSRF token (another site's form), nothing is sent to Stripe.
    calls = len(fake_stripe.calls)
    forged = await client.post("/settings/billing/portal", data={}, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    assert len(fake_stripe.calls) == calls


async def test_choose_pro_on_the_landing_page_leads_through_signup_to_checkout(
    client: httpx.AsyncClient, fake_stripe: FakeStripe
) -> None:
    landing = await client.get("/")
    assert 'href="/signup?plan=pro"' in landing.text
    assert 'href="/signup?plan=business"' in landing.text

    form = await client.get("/signup?plan=pro")
    assert '<input type="hidden" name="plan" value="pro">' in form.text
    created = await client.post(
        "/signup",
        data={
            "email": unique_email(),
            "password": PASSWORD,
            "organization": "Pro Buyers",
            "plan": "pro",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/settings?checkout=pro#plan"

    page = await client.get("/settings?checkout=pro")
    assert "You picked the <strong>Pro</strong> plan" in page.text
    assert "Continue to secure checkout" in page.text
    assert fake_stripe.calls == []  # a GET never starts a payment
    sent = await client.post(
        "/settings/billing/checkout", data={"plan": "pro", "csrf_token": csrf_of(page.text)}
    )
    assert stripe_url(sent).startswith("https://checkout.stripe.test/")
    # Signed in already, "Choose Business" goes straight to the confirmation.
    again = await client.get("/signup?plan=business")
    assert again.status_code == 303
    assert again.headers["location"] == "/settings?checkout=business#plan"


class TestBillingOff:
    """Without the Stripe settings, or in self-hosted mode, billing is not there at all."""

    @pytest.fixture(params=["unset", "selfhosted"])
    def settings_overrides(
        self, request: pytest.FixtureRequest, fake_stripe: FakeStripe
    ) -> dict[str, object]:
        if request.param == "unset":
            return {}
        return {**billing_settings(fake_stripe), "mode": "selfhosted"}

    async def test_routes_are_404_and_the_pages_offer_no_checkout(
        self, client: httpx.AsyncClient, fake_stripe: FakeStripe
    ) -> None:
        await signup(client)
        for path in ("/api/v1/billing/checkout", "/api/v1/billing/portal"):
            answer = await client.post(path, json={"plan": "pro"})
            assert answer.status_code == 404
            assert answer.json()["detail"] == "billing is not enabled on this server"
        hook = await client.post(
            "/billing/stripe-webhook", content=b"{}", headers={"Stripe-Signature": "t=1,v1=x"}
        )
        assert hook.status_code == 404
        assert hook.json()["detail"] == "billing is not enabled on this server"
        assert "/signup?plan=" not in (await client.get("/")).text
        page = (await client.get("/settings")).text
        assert "/settings/billing/" not in page
        assert "Manage billing" not in page
        assert fake_stripe.calls == []
