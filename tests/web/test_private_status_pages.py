"""Private status pages (Business): a visitor without the password sees a password form and
nothing else — not the page, its JSON, feeds, history, badges or the subscribe form — even when
the page sits in the render cache; the right password earns a cookie for that page only; wrong
ones are rate limited; a new password signs everybody out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from statusping.storage.models import Organization, StatusPage
from tests.conftest import free_port, make_client
from tests.support import signup

PASSWORD = "open sesame 42"
JSON_PATHS = [
    "/api",
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
]


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"allow_private_targets": True}


async def _plan(app: FastAPI, client: httpx.AsyncClient, name: str) -> None:
    org_id = (await client.get("/api/v1/me")).json()["organization"]["id"]
    async with app.state.sessionmaker() as db, db.begin():
        org = await db.get(Organization, uuid.UUID(org_id))
        assert org is not None
        org.plan = name


async def _private_page(app: FastAPI, client: httpx.AsyncClient, org: str) -> tuple[dict[str, Any], str]:
    """A business organization's page with one public monitor "Secret API"; made private."""
    await signup(client, organization=org)
    await _plan(app, client, "business")
    monitor = await client.post(
        "/api/v1/monitors",
        json={"name": "Secret API", "type": "tcp", "host": "127.0.0.1", "port": free_port(),
              "interval_seconds": 300, "public": True},
    )  # fmt: skip
    assert monitor.status_code == 201, monitor.text
    (page,) = (await client.get("/api/v1/status-pages")).json()
    # Cached while public: the cache must not hand these bytes to anyone once the page is private.
    assert "Secret API" in (await client.get(f"/s/{page['slug']}")).text
    made = await client.patch(f"/api/v1/status-pages/{page['id']}", json={"password": PASSWORD})
    assert made.status_code == 200, made.text
    assert made.json()["private"] is True
    assert "password" not in made.json()
    return made.json(), monitor.json()["id"]


async def _unlock(visitor: httpx.AsyncClient, slug: str, password: str, **headers: str) -> httpx.Response:
    return await visitor.post(
        f"/s/{slug}/access", data={"password": password, "next": f"/s/{slug}/history"}, headers=headers
    )


async def test_without_the_password_nothing_of_the_page_is_shown(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    page, monitor_id = await _private_page(app, client, "Hidden Co")
    slug = page["slug"]
    async with make_client(app) as visitor:
        for _ in range(2):  # the second one would be a cache hit
            door = await visitor.get(f"/s/{slug}")
            assert door.status_code == 403
            assert "This status page is private" in door.text
            assert f'action="/s/{slug}/access"' in door.text
            assert "Secret API" not in door.text
            assert door.headers["cache-control"] == "no-store"
        for path in JSON_PATHS:
            answer = await visitor.get(f"/s/{slug}{path}")
            assert answer.status_code == 403, path
            assert "private" in answer.json()["detail"]
            assert "access-control-allow-origin" not in answer.headers
        for path in ("/feed.atom", "/feed.rss"):
            assert (await visitor.get(f"/s/{slug}{path}")).status_code == 403
        history = await visitor.get(f"/s/{slug}/history")
        assert history.status_code == 403
        assert "Secret API" not in history.text
        subscribed = await visitor.post(f"/s/{slug}/subscribe", json={"email": "a@example.com"})
        assert subscribed.status_code == 403
        assert (await visitor.get(f"/badge/{monitor_id}/status.svg")).status_code == 404
        # Styles stay public: they dress the password form.
        assert (await visitor.get(f"/s/{slug}/theme.css")).status_code == 200
        # HEAD too.
        assert (await visitor.head(f"/s/{slug}/api/v2/summary.json")).status_code == 403


async def test_the_right_password_opens_everything_for_this_page_only(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    page, _ = await _private_page(app, client, "Opened Co")
    slug = page["slug"]
    async with make_client(app) as visitor:
        wrong = await _unlock(visitor, slug, "not it")
        assert wrong.status_code == 403
        assert "not the password" in wrong.text
        assert (
            f'name="next" value="/s/{slug}/history"' in wrong.text
        )  # the form's own target is no place to go
        assert not visitor.cookies

        opened = await _unlock(visitor, slug, PASSWORD)
        assert opened.status_code == 303
        assert opened.headers["location"] == f"/s/{slug}/history"
        cookie = opened.headers["set-cookie"]
        assert f"Path=/s/{slug}" in cookie
        assert "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower()

        shown = await visitor.get(f"/s/{slug}")
        assert shown.status_code == 200
        assert "Secret API" in shown.text
        assert shown.headers["cache-control"] == "private, no-cache"
        assert "Cookie" in shown.headers["vary"]
        assert (await visitor.get(f"/s/{slug}")).headers["X-Cache"] == "HIT"
        async with make_client(app) as stranger:  # the very render the visitor got from the cache
            for path in ("", "/api/v2/summary.json"):
                refused = await stranger.get(
                    f"/s/{slug}{path}", headers={"If-None-Match": shown.headers["etag"]}
                )
                assert refused.status_code == 403, path
                assert "Secret API" not in refused.text
        for path in (*JSON_PATHS, "/feed.atom", "/feed.rss", "/history"):
            answer = await visitor.get(f"/s/{slug}{path}")
            assert answer.status_code == 200, path
            assert answer.headers["cache-control"] == "private, no-cache", path
            assert "access-control-allow-origin" not in answer.headers, path
        summary = (await visitor.get(f"/s/{slug}/api/v2/summary.json")).json()
        assert [c["name"] for c in summary["components"]] == ["Secret API"]
        subscribed = await visitor.post(f"/s/{slug}/subscribe", json={"email": "a@example.com"})
        assert subscribed.status_code == 202

        # JSON clients unlock too.
        async with make_client(app) as robot:
            assert (await robot.post(f"/s/{slug}/access", json={"password": PASSWORD})).status_code == 204
            assert (await robot.get(f"/s/{slug}/api/v2/status.json")).status_code == 200

        # The cookie is of this page: another private page stays shut, a forged value opens nothing.
        async with make_client(app) as other_owner:
            other, _ = await _private_page(app, other_owner, "Other Hidden Co")
        name = f"statusping_page_{uuid.UUID(page['id']).hex}"
        value = visitor.cookies[name]
        async with make_client(app) as thief:
            thief.cookies.set(
                f"statusping_page_{uuid.UUID(other['id']).hex}", value, path=f"/s/{other['slug']}"
            )
            assert (await thief.get(f"/s/{other['slug']}")).status_code == 403
            expires, _, _ = value.partition(".")
            thief.cookies.set(name, f"{expires}.{'0' * 64}", path=f"/s/{slug}")
            assert (await thief.get(f"/s/{slug}")).status_code == 403

        # A new password signs everybody out.
        changed = await client.patch(f"/api/v1/status-pages/{page['id']}", json={"password": "a new secret!"})
        assert changed.status_code == 200
        assert (await visitor.get(f"/s/{slug}")).status_code == 403

        # Public again: open to all, and publicly cacheable.
        assert (await client.patch(f"/api/v1/status-pages/{page['id']}", json={"private": False})).json()[
            "private"
        ] is False
        async with make_client(app) as anyone:
            public = await anyone.get(f"/s/{slug}/api/v2/summary.json")
            assert public.status_code == 200
            assert public.headers["cache-control"].startswith("public")
            assert public.headers["access-control-allow-origin"] == "*"


async def test_wrong_passwords_are_rate_limited(app: FastAPI, client: httpx.AsyncClient) -> None:
    page, _ = await _private_page(app, client, "Guessed Co")
    slug = page["slug"]
    async with make_client(app) as guesser:
        for n in range(10):
            assert (await _unlock(guesser, slug, f"guess {n}")).status_code == 403
        limited = await _unlock(guesser, slug, PASSWORD)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0
        assert "Too many wrong passwords" in limited.text
        assert not guesser.cookies
        json_limited = await guesser.post(f"/s/{slug}/access", json={"password": PASSWORD})
        assert json_limited.status_code == 429
        assert "Too many" in json_limited.json()["detail"]


async def test_privacy_needs_business_and_a_good_password(app: FastAPI, client: httpx.AsyncClient) -> None:
    await signup(client, organization="Pro Privacy Co")
    await _plan(app, client, "pro")
    (page,) = (await client.get("/api/v1/status-pages")).json()
    url = f"/api/v1/status-pages/{page['id']}"

    refused = await client.patch(url, json={"password": PASSWORD})
    assert refused.status_code == 403
    assert "Business" in refused.json()["detail"]
    await _plan(app, client, "business")
    needs_password = await client.patch(url, json={"private": True})
    assert needs_password.status_code == 422
    assert "password" in str(needs_password.json()["detail"])
    short = await client.patch(url, json={"password": "short"})
    assert short.status_code == 422
    assert (await client.get(url)).json()["private"] is False
    assert (await client.patch(url, json={"private": True, "password": PASSWORD})).json()["private"] is True

    # A downgrade keeps the page private (it fails closed); making it public is always allowed.
    await _plan(app, client, "free")
    async with make_client(app) as visitor:
        assert (await visitor.get(f"/s/{page['slug']}")).status_code == 403
    assert (await client.patch(url, json={"private": False})).json()["private"] is False


async def test_a_custom_domain_visitor_unlocks_the_page_at_slash(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    page, _ = await _private_page(app, client, "Domain Hidden Co")
    async with app.state.sessionmaker() as db, db.begin():
        row = await db.get(StatusPage, uuid.UUID(page["id"]))
        assert row is not None
        row.custom_domain = "status.hidden.example"
        row.domain_verified_at = datetime.now(UTC)
    host = {"Host": "status.hidden.example"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://status.hidden.example"
    ) as visitor:
        door = await visitor.get("/", headers=host)
        assert door.status_code == 403
        assert "This status page is private" in door.text
        opened = await _unlock(visitor, page["slug"], PASSWORD, **host)
        assert opened.status_code == 303
        assert "Path=/;" in opened.headers["set-cookie"]
        shown = await visitor.get("/", headers=host)
        assert shown.status_code == 200
        assert "Secret API" in shown.text
