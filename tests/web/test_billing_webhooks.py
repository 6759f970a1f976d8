"""Stripe's webhook (PRODUCT.md §4, §6; issue 11): signed test events move an organization between
plans, and every step's limits hold in the API, in the engine's fields and on the settings page.

Events are signed with a test secret exactly as Stripe signs them and posted as raw bytes; the
app verifies them with the official ``stripe`` library. ``now`` is real: only the end of the grace
period is asked for at a later time, as the engine's housekeeping would ask it a week on.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from statusping.config import Settings
from statusping.engine.setup import retention_rules
from statusping.engine.worker import Engine, EngineOptions
from statusping.services.billing import end_lapsed_grace
from statusping.storage.models import BillingAccount, BillingEvent, Monitor
from tests.alerting import create_channel
from tests.conftest import make_client
from tests.stripe_fake import (
    WEBHOOK_SECRET,
    FakeStripe,
    billing_settings,
    checkout_completed,
    deliver,
    event,
    failed_invoice,
    running_fake_stripe,
    sign,
    subscription,
)
from tests.support import eventually, signup


@pytest.fixture
async def fake_stripe() -> AsyncIterator[FakeStripe]:
    async with running_fake_stripe() as fake:
        yield fake


@pytest.fixture
def settings_overrides(fake_stripe: FakeStripe) -> dict[str, object]:
    return billing_settings(fake_stripe)


@pytest.fixture
async def stripe(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Stripe's side of the webhook: no cookies, no CSRF header, only the signature."""
    async with make_client(app) as c:
        yield c


async def plan_of(client: httpx.AsyncClient) -> str:
    me = await client.get("/api/v1/me")
    assert me.status_code == 200, me.text
    plan: str = me.json()["organization"]["plan"]
    return plan


async def send(stripe: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await deliver(stripe, body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def new_monitor(client: httpx.AsyncClient, name: str, interval: int) -> httpx.Response:
    body = {"name": name, "type": "http", "url": f"https://{name}.example.com", "interval_seconds": interval}
    return await client.post("/api/v1/monitors", json=body)


async def monitor_rows(app: FastAPI) -> list[Monitor]:
    async with app.state.sessionmaker() as db:
        return list(await db.scalars(select(Monitor).order_by(Monitor.created_at)))


async def events_recorded(app: FastAPI) -> int:
    async with app.state.sessionmaker() as db:
        return int(await db.scalar(select(func.count()).select_from(BillingEvent)) or 0)


def settings_plan(html: str) -> str | None:
    for title in ("Free", "Pro", "Business"):
        if f"You are on the <strong>{title}</strong> plan" in html:
            return title
    return None


async def test_events_move_an_organization_free_pro_business_free_and_each_plans_limits_hold(
    app: FastAPI, client: httpx.AsyncClient, stripe: httpx.AsyncClient
) -> None:
    me = await signup(client)
    org_id = me["organization"]["id"]
    t = int(time.time()) - 60
    for i in range(5):
        assert (await new_monitor(client, f"m{i}", 300)).status_code == 201
    sixth = await new_monitor(client, "m5", 300)
    assert sixth.status_code == 403
    assert "Pro plan" in sixth.json()["detail"]
    assert settings_plan((await client.get("/settings")).text) == "Free"

    # Checkout completes: Pro at once, with Pro's limits.
    answer = await send(
        stripe,
        event(
            "checkout.session.completed",
            checkout_completed(org_id, customer="cus_A", sub_id="sub_A", plan="pro"),
            created=t,
        ),
    )
    assert answer["outcome"] == "plan free -> pro"
    assert await plan_of(client) == "pro"
    assert settings_plan((await client.get("/settings")).text) == "Pro"
    created = await new_monitor(client, "m5", 60)
    assert created.status_code == 201, created.text
    fast = created.json()["id"]
    too_fast = await client.patch(f"/api/v1/monitors/{fast}", json={"interval_seconds": 30})
    assert too_fast.status_code == 422
    assert "on the Pro plan; the Business plan allows 30 s" in too_fast.text
    await create_channel(client, name="Hook", kind="webhook", config={"url": "https://hooks.example.com/x"})
    chat = await client.post(
        "/api/v1/channels", json={"name": "Chat", "kind": "apprise", "config": {"url": "ntfy://ntfy.sh/x"}}
    )
    assert chat.status_code == 403
    assert "Business plan" in chat.json()["detail"]

    # The subscription's own events echo Pro (no change), then the portal moves it to Business.
    created_event = subscription("sub_A", customer="cus_A", plan="pro", created=t, org_id=org_id)
    assert (await send(stripe, event("customer.subscription.created", created_event, created=t)))[
        "outcome"
    ] == "plan stays pro"
    business = subscription("sub_A", customer="cus_A", plan="business", created=t, org_id=org_id)
    answer = await send(stripe, event("customer.subscription.updated", business, created=t + 10))
    assert answer["outcome"] == "plan pro -> business"
    assert await plan_of(client) == "business"
    assert settings_plan((await client.get("/settings")).text) == "Business"
    thirty = await client.patch(f"/api/v1/monitors/{fast}", json={"interval_seconds": 30})
    assert thirty.status_code == 200, thirty.text
    await create_channel(client, name="Chat", kind="apprise", config={"url": "ntfy://ntfy.sh/x"})

    # Cancelled: free again. The newest monitor is paused, intervals are raised for the engine.
    canceled = subscription(
        "sub_A", customer="cus_A", plan="business", status="canceled", created=t, org_id=org_id
    )
    answer = await send(stripe, event("customer.subscription.deleted", canceled, created=t + 20))
    assert answer["outcome"] == "plan business -> free"
    assert await plan_of(client) == "free"
    assert settings_plan((await client.get("/settings")).text) == "Free"
    rows = await monitor_rows(app)
    assert [m.paused for m in rows] == [False] * 5 + [True]
    assert rows[-1].paused_by_plan
    now = datetime.now(UTC)
    for m in rows[:5]:
        assert m.interval_seconds == 300
        assert m.next_check_at is not None
        assert m.next_check_at <= now + timedelta(seconds=301)
    again = await new_monitor(client, "m6", 300)
    assert again.status_code == 403
    assert "Pro plan" in again.json()["detail"]
    channels = {c["name"]: c for c in (await client.get("/api/v1/channels")).json()}
    assert channels["Chat"]["suspended_by_plan"] is True
    assert channels["Hook"]["suspended_by_plan"] is True


async def test_a_replayed_event_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, stripe: httpx.AsyncClient
) -> None:
    me = await signup(client)
    org_id = me["organization"]["id"]
    t = int(time.time()) - 60
    upgrade = event(
        "customer.subscription.updated",
        subscription("sub_R", customer="cus_R", plan="business", created=t, org_id=org_id),
        created=t,
    )
    assert (await send(stripe, upgrade))["outcome"] == "plan free -> business"
    cancel = event(
        "customer.subscription.deleted",
        subscription("sub_R", customer="cus_R", plan="business", status="canceled", created=t, org_id=org_id),
        created=t + 5,
    )
    assert (await send(stripe, cancel))["outcome"] == "plan business -> free"
    recorded = await events_recorded(app)

    replay = await deliver(stripe, upgrade)  # the same event id, signed anew as Stripe's retry is

    assert replay.status_code == 200
    assert replay.json()["outcome"] == "duplicate: processed before"
    assert await plan_of(client) == "free"
    assert await events_recorded(app) == recorded


async def test_late_and_old_events_do_not_undo_newer_ones(
    client: httpx.AsyncClient, stripe: httpx.AsyncClient
) -> None:
    me = await signup(client)
    org_id = me["organization"]["id"]
    t = int(time.time()) - 600

    def sub(status: str, plan: str = "pro", sub_id: str = "sub_O", created: int = t) -> dict[str, Any]:
        return subscription(
            sub_id, customer="cus_O", plan=plan, status=status, created=created, org_id=org_id
        )

    # Within one second: "created" (incomplete) arrives after "updated" (active): Pro stays.
    await send(stripe, event("customer.subscription.updated", sub("active"), created=t))
    late = await send(stripe, event("customer.subscription.created", sub("incomplete"), created=t))
    assert late["outcome"].startswith("ignored")
    assert await plan_of(client) == "pro"
    # An update from before the latest applied one is stale.
    await send(stripe, event("customer.subscription.updated", sub("active", "business"), created=t + 30))
    stale = await send(stripe, event("customer.subscription.updated", sub("active", "pro"), created=t + 20))
    assert stale["outcome"].startswith("ignored")
    assert await plan_of(client) == "business"
    # Canceled is final for a subscription, however its late events are stamped.
    await send(stripe, event("customer.subscription.deleted", sub("canceled", "business"), created=t + 40))
    revived = await send(
        stripe, event("customer.subscription.updated", sub("active", "business"), created=t + 41)
    )
    assert revived["outcome"].startswith("ignored")
    assert await plan_of(client) == "free"
    # A new subscription after the cancel; the old one's late events cannot touch it.
    newer = sub("active", "pro", sub_id="sub_O2", created=t + 100)
    assert (await send(stripe, event("customer.subscription.created", newer, created=t + 100)))[
        "outcome"
    ] == "plan free -> pro"
    old = await send(
        stripe, event("customer.subscription.deleted", sub("canceled", "business"), created=t + 200)
    )
    assert old["outcome"].startswith("ignored")
    assert await plan_of(client) == "pro"


async def test_the_same_event_delivered_twice_at_once_is_applied_once(
    app: FastAPI, client: httpx.AsyncClient, stripe: httpx.AsyncClient
) -> None:
    me = await signup(client)
    t = int(time.time())
    body = event(
        "customer.subscription.created",
        subscription("sub_C", customer="cus_C", plan="pro", created=t, org_id=me["organization"]["id"]),
        created=t,
    )

    answers = await asyncio.gather(deliver(stripe, body), deliver(stripe, body))

    assert [a.status_code for a in answers] == [200, 200]
    assert sorted(a.json()["outcome"] for a in answers) == ["duplicate: processed before", "plan free -> pro"]
    assert await plan_of(client) == "pro"
    assert await events_recorded(app) == 1


@pytest.mark.parametrize(
    "forgery",
    ["wrong secret", "tampered body", "missing header", "stale timestamp", "garbage header"],
)
async def test_a_forged_or_unsigned_event_is_refused_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, stripe: httpx.AsyncClient, forgery: str
) -> None:
    me = await signup(client)
    org_id = me["organization"]["id"]
    body = event(
        "customer.subscription.updated",
        subscription("sub_F", customer="cus_F", plan="business", created=int(time.time()), org_id=org_id),
        created=int(time.time()),
    )
    payload = json.dumps(body)
    headers = {"Content-Type": "application/json", "Stripe-Signature": sign(payload)}
    if forgery == "wrong secret":
        headers["Stripe-Signature"] = sign(payload, secret="whsec_someone_else")
    elif forgery == "tampered body":
        payload = payload.replace("sub_F", "sub_X")
    elif forgery == "missing header":
        del headers["Stripe-Signature"]
    elif forgery == "stale timestamp":  # a captured event replayed an hour later
        headers["Stripe-Signature"] = sign(payload, at=int(time.time()) - 3600)
    else:
        headers["Stripe-Signature"] = "v1=deadbeef"

    response = await stripe.post("/billing/stripe-webhook", content=payload, headers=headers)

    assert response.status_code == 400
    assert "detail" in response.json()
    assert await plan_of(client) == "free"
    assert await events_recorded(app) == 0
    assert WEBHOOK_SECRET not in response.text


@pytest.mark.parametrize("payload", ["[]", '"evt"', "42", "null", " [{}]", ""])
async def test_a_signed_body_that_is_not_a_json_object_is_a_400_not_a_500(
    app: FastAPI, client: httpx.AsyncClient, stripe: httpx.AsyncClient, payload: str
) -> None:
    await signup(client)
    headers = {"Content-Type": "application/json", "Stripe-Signature": sign(payload)}

    response = await stripe.post("/billing/stripe-webhook", content=payload, headers=headers)

    assert response.status_code == 400
    assert response.json() == {"detail": "the body is not a JSON Stripe event"}
    assert await events_recorded(app) == 0


@pytest.mark.parametrize(
    "fields", [{"created": 10**20}, {"id": "evt_" + "x" * 300}, {"type": "customer." + "y" * 200}]
)
async def test_a_signed_event_with_an_impossible_time_id_or_type_is_a_400_not_a_500(
    app: FastAPI, client: httpx.AsyncClient, stripe: httpx.AsyncClient, fields: dict[str, Any]
) -> None:
    await signup(client)
    body = {**event("ping", {}, created=int(time.time())), **fields}

    response = await deliver(stripe, body)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("not a Stripe event this endpoint understands")
    assert await events_recorded(app) == 0


async def test_a_failed_payment_keeps_the_plan_for_a_grace_period_then_moves_to_free(
    app: FastAPI, client: httpx.AsyncClient, stripe: httpx.AsyncClient
) -> None:
    me = await signup(client)
    org_id = me["organization"]["id"]
    t = int(time.time()) - 60
    sub = subscription("sub_G", customer="cus_G", plan="pro", created=t, org_id=org_id)
    await send(stripe, event("customer.subscription.created", sub, created=t))
    for i in range(7):
        assert (await new_monitor(client, f"g{i}", 60)).status_code == 201

    failed = await send(
        stripe,
        event("invoice.payment_failed", failed_invoice(customer="cus_G", sub_id="sub_G"), created=t + 5),
    )
    assert failed["outcome"].startswith("payment failed; grace until")
    past_due = {**sub, "status": "past_due"}
    await send(stripe, event("customer.subscription.updated", past_due, created=t + 6))
    assert await plan_of(client) == "pro"
    page = (await client.get("/settings")).text
    assert "Your last payment failed." in page
    assert "Manage billing" in page

    async with app.state.sessionmaker() as db, db.begin():
        assert await end_lapsed_grace(db, datetime.now(UTC) + timedelta(days=6)) == []
    assert await plan_of(client) == "pro"

    async with app.state.sessionmaker() as db, db.begin():
        changes = await end_lapsed_grace(db, datetime.now(UTC) + timedelta(days=7, minutes=1))
    assert [(c.old_plan, c.new_plan) for c in changes] == [("pro", "free")]
    assert await plan_of(client) == "free"
    rows = await monitor_rows(app)
    assert sum(not m.paused for m in rows) == 5
    assert all(m.interval_seconds == 300 for m in rows)
    # The lapse is told on the settings page, with the way back.
    page = (await client.get("/settings")).text
    assert "Payment still failing" in page
    async with app.state.sessionmaker() as db, db.begin():  # a second sweep finds nothing to do
        assert await end_lapsed_grace(db, datetime.now(UTC) + timedelta(days=8)) == []

    # The customer pays: Pro comes back at once, the paused monitors and their intervals with it.
    await send(stripe, event("customer.subscription.updated", sub, created=t + 30))
    assert await plan_of(client) == "pro"
    rows = await monitor_rows(app)
    assert not any(m.paused for m in rows)
    assert all(m.interval_seconds == 60 for m in rows)
    assert "Your last payment failed." not in (await client.get("/settings")).text


async def test_an_event_for_nobody_or_of_another_kind_is_acknowledged_and_ignored(
    app: FastAPI, client: httpx.AsyncClient, stripe: httpx.AsyncClient
) -> None:
    await signup(client)
    t = int(time.time())
    stranger = subscription("sub_N", customer="cus_N", plan="pro", created=t, org_id=str(uuid.uuid4()))
    nobody = await send(stripe, event("customer.subscription.updated", stranger, created=t))
    assert nobody["outcome"].startswith("ignored: no organization")
    other = await send(stripe, event("customer.created", {"id": "cus_N", "object": "customer"}, created=t))
    assert other["outcome"] == "ignored: not an event billing acts on"
    assert await plan_of(client) == "free"
    assert await events_recorded(app) == 2


async def test_the_engines_housekeeping_ends_a_lapsed_grace_period(
    app: FastAPI, client: httpx.AsyncClient, stripe: httpx.AsyncClient, settings: Settings
) -> None:
    me = await signup(client)
    org_id = me["organization"]["id"]
    t = int(time.time()) - 60
    sub = subscription("sub_E", customer="cus_E", plan="business", created=t, org_id=org_id)
    await send(stripe, event("customer.subscription.created", sub, created=t))
    await send(
        stripe, event("invoice.payment_failed", failed_invoice(customer="cus_E", sub_id="sub_E"), created=t)
    )
    assert await plan_of(client) == "business"
    async with app.state.sessionmaker() as db, db.begin():  # as if the failure were 8 days old
        await db.execute(
            update(BillingAccount)
            .where(BillingAccount.organization_id == uuid.UUID(org_id))
            .values(past_due_since=datetime.now(UTC) - timedelta(days=8))
        )

    options = EngineOptions(
        retention=retention_rules(settings), retention_every=0.1, singleton=settings.is_sqlite
    )
    engine = Engine(app.state.sessionmaker, app.state.http_client, options)
    running = asyncio.create_task(engine.run())
    try:
        await eventually(lambda: _is_free(client), within=20)
    finally:
        engine.stop()
        await asyncio.wait_for(running, 30)
    assert "Payment still failing" in (await client.get("/settings")).text


async def _is_free(client: httpx.AsyncClient) -> bool:
    return await plan_of(client) == "free"
