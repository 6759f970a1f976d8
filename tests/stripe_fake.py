"""Stripe, stood in for at its HTTP edge: a local API server and webhook events signed as Stripe signs.

The app's real ``stripe`` client is pointed at the server (``STATUSPING_STRIPE_API_BASE``); the
server answers Checkout and Customer Portal session creation and records every request it got, so
tests assert what the app asked Stripe for. Events are signed with Stripe's documented scheme:
``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

WEBHOOK_SECRET = "whsec_test_statusping"
SECRET_KEY = "sk_test_statusping"
PRICE_PRO = "price_test_pro"
PRICE_BUSINESS = "price_test_business"
PRICES = {"pro": PRICE_PRO, "business": PRICE_BUSINESS}
_ids = itertools.count(1)


@dataclass
class StripeCall:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeStripe:
    """The recorded calls, and a switch that makes the next calls fail as Stripe's API can."""

    base_url: str = ""
    calls: list[StripeCall] = field(default_factory=list)
    fail_with: int | None = None

    def created(self, path: str) -> list[StripeCall]:
        return [c for c in self.calls if c.method == "POST" and c.path == path]


def _error(status: int) -> web.Response:
    body = {
        "error": {"type": "invalid_request_error", "message": "No such price", "code": "resource_missing"}
    }
    return web.json_response(body, status=status)


def build_app(state: FakeStripe) -> web.Application:
    async def record(request: web.Request) -> StripeCall:
        form = await request.post()
        call = StripeCall(
            request.method,
            request.path,
            {k: str(v) for k, v in form.items()},
            {k.lower(): v for k, v in request.headers.items()},
        )
        state.calls.append(call)
        return call

    async def checkout_session(request: web.Request) -> web.Response:
        call = await record(request)
        if state.fail_with:
            return _error(state.fail_with)
        sid = f"cs_test_{next(_ids)}"
        return web.json_response(
            {
                "id": sid,
                "object": "checkout.session",
                "mode": call.params.get("mode"),
                "client_reference_id": call.params.get("client_reference_id"),
                "customer": call.params.get("customer"),
                "url": f"https://checkout.stripe.test/c/pay/{sid}",
            }
        )

    async def portal_session(request: web.Request) -> web.Response:
        call = await record(request)
        if state.fail_with:
            return _error(state.fail_with)
        sid = f"bps_test_{next(_ids)}"
        return web.json_response(
            {
                "id": sid,
                "object": "billing_portal.session",
                "customer": call.params.get("customer"),
                "return_url": call.params.get("return_url"),
                "url": f"https://billing.stripe.test/p/session/{sid}",
            }
        )

    app = web.Application()
    app.router.add_post("/v1/checkout/sessions", checkout_session)
    app.router.add_post("/v1/billing_portal/sessions", portal_session)
    return app


@asynccontextmanager
async def running_fake_stripe() -> AsyncIterator[FakeStripe]:
    """The stand-in on a free port of 127.0.0.1, for a test's fixture."""
    state = FakeStripe()
    runner = web.AppRunner(build_app(state), shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    state.base_url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()


def billing_settings(fake: FakeStripe) -> dict[str, object]:
    return {
        "stripe_secret_key": SECRET_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_price_pro": PRICE_PRO,
        "stripe_price_business": PRICE_BUSINESS,
        "stripe_api_base": fake.base_url,
    }


# Events ----------------------------------------------------------------------------------------


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    t = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(kind: str, obj: dict[str, Any], *, created: int, event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_test_{next(_ids)}",
        "object": "event",
        "api_version": "2025-09-30.clover",
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "type": kind,
        "data": {"object": obj},
    }


def subscription(
    sub_id: str,
    *,
    customer: str,
    plan: str,
    status: str = "active",
    created: int,
    org_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "created": created,
        "metadata": {"organization_id": org_id} if org_id else {},
        "items": {
            "object": "list",
            "data": [{"id": f"si_{sub_id}", "object": "subscription_item", "price": {"id": PRICES[plan]}}],
        },
    }


def checkout_completed(org_id: str, *, customer: str, sub_id: str, plan: str) -> dict[str, Any]:
    return {
        "id": f"cs_test_{next(_ids)}",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": org_id,
        "customer": customer,
        "subscription": sub_id,
        "payment_status": "paid",
        "status": "complete",
        "metadata": {"organization_id": org_id, "plan": plan},
    }


def failed_invoice(*, customer: str, sub_id: str) -> dict[str, Any]:
    return {
        "id": f"in_test_{next(_ids)}",
        "object": "invoice",
        "customer": customer,
        "status": "open",
        "parent": {"type": "subscription_details", "subscription_details": {"subscription": sub_id}},
    }


async def deliver(
    client: httpx.AsyncClient, body: dict[str, Any], *, signature: str | None = None
) -> httpx.Response:
    """POST an event to the webhook as Stripe does: the exact bytes that were signed."""
    payload = json.dumps(body)
    headers = {"Content-Type": "application/json"}
    headers["Stripe-Signature"] = sign(payload) if signature is None else signature
    if signature == "":
        del headers["Stripe-Signature"]
    return await client.post("/billing/stripe-webhook", content=payload, headers=headers)


@contextmanager
def threaded_fake_stripe() -> Iterator[FakeStripe]:
    """The same stand-in on a thread of its own, for synchronous tests (the browser's)."""
    loop = asyncio.new_event_loop()
    ready: concurrent.futures.Future[FakeStripe] = concurrent.futures.Future()
    stop = asyncio.Event()

    async def serve() -> None:
        async with running_fake_stripe() as fake:
            ready.set_result(fake)
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    try:
        yield ready.result(timeout=10)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        loop.close()


def post_event(base_url: str, body: dict[str, Any]) -> httpx.Response:
    """Deliver a signed event to a running server (synchronous, for the browser tests)."""
    payload = json.dumps(body)
    headers = {"Content-Type": "application/json", "Stripe-Signature": sign(payload)}
    return httpx.post(f"{base_url}/billing/stripe-webhook", content=payload, headers=headers, timeout=10)
