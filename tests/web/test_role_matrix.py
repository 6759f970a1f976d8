"""Every state-changing route, taken from the app's own route table, as a viewer and as an admin.

A viewer is refused every change (403; a few pages answer their own way, declared below); an admin
may do everything except the owner's routes (billing, ownership, the organization's two-factor
rule). A route added later is walked too: unless it refuses a viewer, or is listed here as one
that every role (or nobody signed in) may call, with the reason, this test fails.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from statusping.web.error_docs import api_routes
from tests.stripe_fake import FakeStripe, billing_settings, running_fake_stripe
from tests.support import SmtpSink, signup
from tests.web.team_helpers import invite, join, set_plan

Route = tuple[str, str]  # (method, path as the route table spells it)
SAFE = {"GET", "HEAD", "OPTIONS"}

# Routes every role may call, or that need no sign-in at all: each with the reason.
NOT_ROLE_BOUND: dict[Route, str] = {
    ("POST", "/api/v1/auth/signup"): "signing up: nobody is signed in yet",
    ("POST", "/api/v1/auth/login"): "signing in",
    ("POST", "/api/v1/auth/logout"): "signing out: every role",
    ("POST", "/api/v1/auth/password"): "one's own password: every role",
    ("POST", "/api/v1/auth/password-reset"): "a forgotten password: nobody is signed in",
    ("POST", "/api/v1/auth/password-reset/confirm"): "a forgotten password: nobody is signed in",
    ("POST", "/api/v1/me/organization"): "choosing which of one's own organizations to work in",
    ("POST", "/signup"): "signing up: nobody is signed in yet",
    ("POST", "/login"): "signing in",
    ("POST", "/login/code"): "the second sign-in step",
    ("POST", "/logout"): "signing out: every role",
    ("POST", "/forgot-password"): "a forgotten password: nobody is signed in",
    ("POST", "/reset-password"): "a forgotten password: nobody is signed in",
    ("POST", "/settings/password"): "one's own password: every role",
    ("POST", "/settings/theme"): "one's own colour scheme (a cookie): every role",
    ("POST", "/settings/security/setup"): "one's own two-factor sign-in: every role",
    ("POST", "/settings/security/confirm"): "one's own two-factor sign-in: every role",
    ("POST", "/settings/security/recovery-codes"): "one's own two-factor sign-in: every role",
    ("POST", "/settings/security/disable"): "one's own two-factor sign-in: every role",
    ("POST", "/organization/switch"): "choosing which of one's own organizations to work in",
    ("POST", "/invitations/{token}"): "accepting an invitation: the token is the permission",
    ("POST", "/billing/stripe-webhook"): "Stripe's call, verified by its signature",
    ("POST", "/s/{slug}/subscribe"): "the public status page",
    ("POST", "/s/{slug}/unsubscribe"): "the public status page",
    ("POST", "/s/{slug}/access"): "a private status page's password form",
    ("POST", "/ping/{token}"): "heartbeat pings: the token is the permission",
    ("POST", "/ping/{token}/fail"): "heartbeat pings: the token is the permission",
    ("POST", "/ping/{token}/start"): "heartbeat pings: the token is the permission",
    ("POST", "/ping/{token}/log"): "heartbeat pings: the token is the permission",
    ("POST", "/ping/{token}/{exit_status}"): "heartbeat pings: the token is the permission",
}

# The owner's alone: an admin is refused these too.
OWNER_ONLY: set[Route] = {
    ("POST", "/api/v1/members/{member_id}/transfer-ownership"),
    ("POST", "/settings/team/members/{member_id}/transfer"),
    ("POST", "/api/v1/billing/checkout"),
    ("POST", "/api/v1/billing/portal"),
    ("POST", "/settings/billing/checkout"),
    ("POST", "/settings/billing/portal"),
    ("POST", "/settings/security/organization"),
}

# Pages that refuse in their own way instead of the 403 error page: (status, text in the answer).
REFUSED_OTHERWISE: dict[Route, tuple[int, str]] = {
    ("POST", "/settings/billing/checkout"): (303, "billing=owner-only"),
    ("POST", "/settings/billing/portal"): (303, "billing=owner-only"),
    ("POST", "/settings/security/organization"): (422, "only the owner can change"),
}


def mutating_routes(app: FastAPI) -> list[Route]:
    """(method, path) of every route that can change something: the API's and the pages' alike."""
    found = {(method, path) for path, route in api_routes(app) for method in (route.methods or set()) - SAFE}
    return sorted(found, key=lambda r: (r[1], r[0]))


def refused(route: Route, response: httpx.Response) -> bool:
    status, marker = REFUSED_OTHERWISE.get(route, (403, ""))
    answer = response.headers.get("location", "") + response.text
    return response.status_code == status and marker.lower() in answer.lower()


@pytest.fixture
async def fake_stripe() -> AsyncIterator[FakeStripe]:
    async with running_fake_stripe() as fake:
        yield fake


@pytest.fixture
def settings_overrides(smtp_sink: SmtpSink, fake_stripe: FakeStripe) -> dict[str, object]:
    # Billing on (Stripe stood in for at its HTTP edge), so its owner rule is what answers.
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_sink.port,
        "smtp_starttls": False,
        **billing_settings(fake_stripe),
    }


async def _created(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> str:
    response = await client.post(path, json=body)
    assert response.status_code == 201, (path, response.text)
    return str(response.json()["id"])


async def _objects(client: httpx.AsyncClient, smtp_sink: SmtpSink, target_member: str) -> dict[str, str]:
    """One object of every kind a path names, owned by the organization, by path parameter."""
    monitor = await _created(
        client,
        "/api/v1/monitors",
        {"name": "Backup", "type": "heartbeat", "interval_seconds": 3600, "grace_seconds": 600},
    )
    channel = await _created(
        client, "/api/v1/channels", {"name": "Ops", "kind": "email", "config": {"to": ["ops@example.com"]}}
    )
    start = datetime.now(UTC) + timedelta(days=1)
    maintenance = await _created(
        client,
        "/api/v1/maintenances",
        {
            "title": "Upgrade",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        },
    )
    page = (await client.get("/api/v1/status-pages")).json()[0]["id"]
    incident = await _created(
        client,
        f"/api/v1/status-pages/{page}/incidents",
        {
            "title": "Slow",
            "status": "investigating",
            "impact": "minor",
            "message": "Looking",
            "monitor_ids": [],
        },
    )
    key = await _created(client, "/api/v1/api-keys", {"name": "CI", "scope": "read"})
    invitation, _ = await invite(client, smtp_sink, "viewer")
    return {
        "monitor_id": monitor,
        "channel_id": channel,
        "maintenance_id": maintenance,
        "page_id": page,
        "incident_id": incident,
        "key_id": key,
        "invitation_id": invitation["id"],
        "member_id": target_member,
        "form": "details",
    }


def _fill(path: str, ids: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, (
            f"{path}: no test object for {{{name}}}; add one to _objects, or list the route in "
            "NOT_ROLE_BOUND with the reason every role may call it"
        )
        return ids[name]

    return re.sub(r"{(\w+)}", one, path)


async def _call(client: httpx.AsyncClient, method: str, path: str) -> httpx.Response:
    if path.startswith("/api/"):
        return await client.request(method, path, json={})
    return await client.request(method, path, data={"csrf_token": client.cookies["statusping_csrf"]})


async def test_every_change_refuses_a_viewer_and_only_the_owners_routes_refuse_an_admin(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    owner = await signup(client)
    await set_plan(app, owner["organization"]["id"], "business")
    viewer, _ = await join(app, client, smtp_sink, "viewer")
    admin, _ = await join(app, client, smtp_sink, "admin")
    target, target_me = await join(app, client, smtp_sink, "viewer")
    await target.aclose()
    members = {m["email"]: m["id"] for m in (await client.get("/api/v1/members")).json()}
    ids = await _objects(client, smtp_sink, members[target_me["user"]["email"]])

    routes = mutating_routes(app)
    stale = set(NOT_ROLE_BOUND) - set(routes)
    assert not stale, f"listed but no longer in the app: {sorted(stale)}"
    checked = [r for r in routes if r not in NOT_ROLE_BOUND]
    assert len(checked) > 50  # the walk found the app's routes, not an empty table

    not_refused = []
    for method, path in checked:
        response = await _call(viewer, method, _fill(path, ids))
        if not refused((method, path), response):
            not_refused.append(f"{method} {path} -> {response.status_code} {response.text[:120]}")
    assert not not_refused, "a viewer could call:\n" + "\n".join(not_refused)
    # The viewer changed nothing: still every object, still a viewer.
    assert len((await client.get("/api/v1/monitors")).json()) == 1
    assert len((await client.get("/api/v1/members")).json()) == 4
    assert (await viewer.get("/api/v1/me")).json()["role"] == "viewer"

    wrong = []
    for method, path in checked:
        response = await _call(admin, method, _fill(path, ids))
        owner_only = (method, path) in OWNER_ONLY
        if refused((method, path), response) != owner_only:
            wrong.append(f"{method} {path} -> {response.status_code} {response.text[:120]}")
    assert not wrong, "an admin was refused (or allowed an owner's route):\n" + "\n".join(wrong)
    assert (await client.get("/api/v1/me")).json()["role"] == "owner"
    await viewer.aclose()
    await admin.aclose()


def test_the_tables_name_real_routes_and_owner_routes_are_role_bound(app: FastAPI) -> None:
    routes = set(mutating_routes(app))
    assert routes >= OWNER_ONLY, OWNER_ONLY - routes
    assert set(REFUSED_OTHERWISE) <= routes
    assert not OWNER_ONLY & set(NOT_ROLE_BOUND)


async def test_a_new_route_without_a_role_check_would_fail_the_walk(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink
) -> None:
    """The walk's own check: a route that forgot its role dependency is not refused to a viewer."""
    app.router.add_api_route("/api/v1/forgotten", lambda: {"ok": True}, methods=["POST"])
    assert ("POST", "/api/v1/forgotten") in mutating_routes(app)
    owner = await signup(client)
    await set_plan(app, owner["organization"]["id"], "business")
    viewer, _ = await join(app, client, smtp_sink, "viewer")
    response = await _call(viewer, "POST", "/api/v1/forgotten")
    assert not refused(("POST", "/api/v1/forgotten"), response)
    await viewer.aclose()
