"""Issue 10: a verified custom domain serves its status page and nothing of the app — the page's
own routes (also at the domain's root, where Statuspage clients look for ``/api/v2/…``) and the
static assets; ``/login``, ``/signup``, the API, other pages and badges are a 404 there."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from statusping.storage.models import Organization, StatusPage
from tests.support import signup
from tests.targets import SwitchableTarget


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"allow_private_targets": True}


DOMAIN = "status.scoped.example"


async def _verified_domain(app: FastAPI, client: httpx.AsyncClient) -> str:
    me = (await client.get("/api/v1/me")).json()
    (page,) = (await client.get("/api/v1/status-pages")).json()
    async with app.state.sessionmaker() as db, db.begin():
        org = await db.get(Organization, uuid.UUID(me["organization"]["id"]))
        row = await db.get(StatusPage, uuid.UUID(page["id"]))
        assert org is not None
        assert row is not None
        org.plan = "business"
        row.custom_domain = DOMAIN
        row.domain_verified_at = datetime.now(UTC)
    slug: str = page["slug"]
    return slug


async def test_the_custom_domain_serves_the_page_and_nothing_else(
    app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client, organization="Scoped Co")
    created = await client.post(
        "/api/v1/monitors",
        json={"name": "Website", "type": "tcp", "host": "127.0.0.1", "port": target.port, "public": True},
    )
    assert created.status_code == 201, created.text
    slug = await _verified_domain(app, client)
    # A visitor of the customer's domain: no session cookie of ours.
    visitor = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{DOMAIN}")
    async with visitor:
        home = await visitor.get("/")
        assert home.status_code == 200
        assert "Scoped Co" in home.text
        for path in (
            f"/s/{slug}",
            f"/s/{slug}/history",
            f"/s/{slug}/api/v2/status.json",
            "/history",
            "/feed.atom",
            "/api",
            "/static/app.css",
        ):
            assert (await visitor.get(path)).status_code == 200, path
        summary = await visitor.get("/api/v2/summary.json")  # where Statuspage clients look
        assert summary.status_code == 200
        assert [c["name"] for c in summary.json()["components"]] == ["Website"]
        subscribed = await visitor.post("/subscribe", json={"email": "reader@example.com"})
        assert subscribed.status_code == 202, subscribed.text

        for path in (
            "/login",
            "/signup",
            "/dashboard",
            "/settings",
            "/api/v1/me",
            "/api/v1/monitors",
            "/s/some-other-page",
            f"/badge/{created.json()['id']}/status.svg",
            f"/internal/domains/check?domain={DOMAIN}",
            "/metrics",
        ):
            answer = await visitor.get(path, headers={"Accept": "text/html"})
            assert answer.status_code == 404, path
            assert 'href="/login' not in answer.text, path
            assert '<a href="/">Back to the status page</a>' in answer.text
            machine = await visitor.get(path)
            assert (machine.status_code, machine.json()) == (404, {"detail": "Not Found"}), path
        assert (
            await visitor.post("/login", data={"email": "a@b.example", "password": "x"})
        ).status_code == 404

    # The app's own host is unchanged.
    assert (await client.get("/login")).status_code in (200, 303)
    assert (await client.get("/api/v1/me")).status_code == 200
