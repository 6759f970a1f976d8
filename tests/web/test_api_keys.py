"""API keys as a script would use them: created once from a session, then `Authorization: Bearer`
on /api/v1 with no cookie and no CSRF header; read keys only read, revoked keys stop at once."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from statusping.storage.models import ApiKey, Organization
from tests.conftest import make_client
from tests.support import signup

HEARTBEAT = {"name": "Nightly backup", "type": "heartbeat", "interval_seconds": 3600, "grace_seconds": 600}


async def set_plan(app: FastAPI, slug: str, plan: str) -> None:
    async with app.state.sessionmaker() as db, db.begin():
        await db.execute(update(Organization).where(Organization.slug == slug).values(plan=plan))


async def business(app: FastAPI, client: httpx.AsyncClient, organization: str = "Acme Inc") -> dict[str, Any]:
    me = await signup(client, organization=organization)
    await set_plan(app, me["organization"]["slug"], "business")
    return me


async def new_key(client: httpx.AsyncClient, scope: str, name: str = "CI") -> dict[str, Any]:
    response = await client.post("/api/v1/api-keys", json={"name": name, "scope": scope})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_a_read_write_key_works_like_curl_without_cookies_or_csrf(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await business(app, client)
    created = await new_key(client, "read-write")
    key = created["key"]
    assert key.startswith(f"sp_{created['prefix']}_")
    async with make_client(app) as curl:
        made = await curl.post("/api/v1/monitors", json=HEARTBEAT, headers=bearer(key))
        assert made.status_code == 201, made.text
        monitor_id = made.json()["id"]
        listed = await curl.get("/api/v1/monitors", headers=bearer(key))
        assert listed.status_code == 200
        assert [m["id"] for m in listed.json()] == [monitor_id]
        assert (
            await curl.get(f"/api/v1/monitors/{monitor_id}/uptime", headers=bearer(key))
        ).status_code == 200
        changed = await curl.patch(
            f"/api/v1/monitors/{monitor_id}", json={"name": "Backup"}, headers=bearer(key)
        )
        assert changed.status_code == 200, changed.text
        assert (
            await curl.post(f"/api/v1/monitors/{monitor_id}/pause", headers=bearer(key))
        ).status_code == 200
        whoami = await curl.get("/api/v1/me", headers=bearer(key))
        assert whoami.json()["organization"]["id"] == me["organization"]["id"]
        assert (await curl.get("/api/v1/channels", headers=bearer(key))).status_code == 200
        assert (await curl.get("/api/v1/maintenances", headers=bearer(key))).status_code == 200
        assert (await curl.delete(f"/api/v1/monitors/{monitor_id}", headers=bearer(key))).status_code == 204
        # The key is never shown again; the list names it by prefix and records its use.
        keys = (await curl.get("/api/v1/api-keys", headers=bearer(key))).json()
    assert [(k["name"], k["prefix"], k["scope"]) for k in keys] == [("CI", created["prefix"], "read-write")]
    assert "key" not in keys[0]
    assert keys[0]["last_used_at"] is not None


async def test_a_read_key_reads_and_is_refused_every_change(app: FastAPI, client: httpx.AsyncClient) -> None:
    await business(app, client)
    made = await client.post("/api/v1/monitors", json=HEARTBEAT)
    monitor_id = made.json()["id"]
    key = (await new_key(client, "read"))["key"]
    async with make_client(app) as curl:
        assert (await curl.get("/api/v1/monitors", headers=bearer(key))).status_code == 200
        assert (await curl.get(f"/api/v1/monitors/{monitor_id}", headers=bearer(key))).status_code == 200
        refused = [
            await curl.post("/api/v1/monitors", json=HEARTBEAT, headers=bearer(key)),
            await curl.patch(f"/api/v1/monitors/{monitor_id}", json={"name": "x"}, headers=bearer(key)),
            await curl.delete(f"/api/v1/monitors/{monitor_id}", headers=bearer(key)),
            await curl.post(f"/api/v1/monitors/{monitor_id}/pause", headers=bearer(key)),
        ]
        assert [r.status_code for r in refused] == [403] * 4
        assert "read scope" in refused[0].json()["detail"]
    monitors = (await client.get("/api/v1/monitors")).text
    assert "Nightly backup" in monitors
    assert monitors.count(monitor_id) == 1
    assert (await client.get(f"/api/v1/monitors/{monitor_id}")).json()["status"] != "paused"


async def test_a_revoked_or_wrong_key_is_401_at_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    await business(app, client)
    created = await new_key(client, "read")
    async with make_client(app) as curl:
        assert (await curl.get("/api/v1/monitors", headers=bearer(created["key"]))).status_code == 200
        revoked = await client.delete(f"/api/v1/api-keys/{created['id']}")
        assert revoked.status_code == 204
        after = await curl.get("/api/v1/monitors", headers=bearer(created["key"]))
        assert after.status_code == 401
        assert after.headers["www-authenticate"].startswith("Bearer")
        for wrong in ("nonsense", created["key"] + "x", "sp__", "sp_" + "a" * 500):
            answer = await curl.get("/api/v1/monitors", headers=bearer(wrong))
            assert answer.status_code == 401, wrong
        assert (await curl.get("/api/v1/monitors")).status_code == 401
    assert (await client.delete(f"/api/v1/api-keys/{created['id']}")).status_code == 404
    assert (await client.delete("/api/v1/api-keys/not-an-id")).status_code == 404


async def test_a_bad_key_beside_a_good_cookie_is_still_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A request with a bearer header is judged by the key alone, never half by the cookie."""
    await business(app, client)
    assert (await client.get("/api/v1/monitors", headers=bearer("sp_abc_wrong"))).status_code == 401


async def test_keys_are_stored_hashed_and_never_listed(app: FastAPI, client: httpx.AsyncClient) -> None:
    await business(app, client)
    created = await new_key(client, "read-write")
    async with app.state.sessionmaker() as db:
        stored = (await db.scalars(select(ApiKey))).one()
    secret = created["key"].split("_", 2)[2]
    assert secret not in stored.key_hash
    assert created["key"] != stored.key_hash
    assert secret not in (await client.get("/api/v1/api-keys")).text


async def test_a_key_cannot_mint_keys_nor_change_the_password(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await business(app, client)
    key = (await new_key(client, "read-write"))["key"]
    async with make_client(app) as curl:
        minted = await curl.post(
            "/api/v1/api-keys", json={"name": "more", "scope": "read"}, headers=bearer(key)
        )
        assert minted.status_code == 403
        password = await curl.post(
            "/api/v1/auth/password",
            json={"current_password": "x", "new_password": "correct-horse-battery-staple-43"},
            headers=bearer(key),
        )
        assert password.status_code == 401


async def test_one_organizations_key_never_reaches_another(app: FastAPI, client: httpx.AsyncClient) -> None:
    await business(app, client, "Acme Inc")
    acme_key = (await new_key(client, "read-write"))["key"]
    async with make_client(app) as other:
        await business(app, other, "Globex")
        theirs = (await other.post("/api/v1/monitors", json=HEARTBEAT)).json()["id"]
        their_key = (await other.get("/api/v1/api-keys")).json()
    async with make_client(app) as curl:
        assert (await curl.get(f"/api/v1/monitors/{theirs}", headers=bearer(acme_key))).status_code == 404
        assert theirs not in (await curl.get("/api/v1/monitors", headers=bearer(acme_key))).text
    assert their_key == []


@pytest.mark.parametrize("plan", ["free", "pro"])
async def test_free_and_pro_are_told_the_business_plan_lifts_it(
    app: FastAPI, client: httpx.AsyncClient, plan: str
) -> None:
    me = await business(app, client)
    key = (await new_key(client, "read"))["key"]
    await set_plan(app, me["organization"]["slug"], plan)
    created = await client.post("/api/v1/api-keys", json={"name": "CI", "scope": "read"})
    assert created.status_code == 403
    assert "Business plan" in created.json()["detail"]
    assert (await client.get("/api/v1/api-keys")).status_code == 403
    async with make_client(app) as curl:  # an existing key rests until an upgrade
        used = await curl.get("/api/v1/monitors", headers=bearer(key))
    assert used.status_code == 403
    assert "Business plan" in used.json()["detail"]


async def test_bad_input_is_a_clear_422(app: FastAPI, client: httpx.AsyncClient) -> None:
    await business(app, client)
    for body in ({"name": "x", "scope": "admin"}, {"name": "   ", "scope": "read"}, {"scope": "read"}):
        answer = await client.post("/api/v1/api-keys", json=body)
        assert answer.status_code == 422, body
    assert (await client.get("/api/v1/api-keys")).json() == []


class TestSelfHosted:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"mode": "selfhosted"}

    async def test_every_organization_has_api_keys(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        await signup(client)
        key = (await new_key(client, "read"))["key"]
        async with make_client(app) as curl:
            assert (await curl.get("/api/v1/monitors", headers=bearer(key))).status_code == 200


async def test_the_openapi_document_describes_both_ways_in(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["session"]["in"] == "cookie"
    assert schemes["apiKey"]["scheme"] == "bearer"
    listing = document["paths"]["/api/v1/monitors"]["get"]["security"]
    assert {"apiKey": []} in listing
    assert {"session": []} in listing
    assert document["paths"]["/api/v1/auth/password"]["post"]["security"] == [{"session": []}]


class TestThePage:
    """The settings page's keys, as plain forms with the CSRF field (no htmx, no header)."""

    async def form_post(self, client: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
        csrf = client.cookies["statusping_csrf"]
        header = client.headers.pop("X-CSRF-Token")
        try:
            return await client.post(path, data={**data, "csrf_token": csrf})
        finally:
            client.headers["X-CSRF-Token"] = header

    async def test_create_shows_the_key_once_and_revoke_ends_it(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await business(app, client)
        assert "/settings/api-keys" in (await client.get("/settings")).text
        created = await self.form_post(client, "/settings/api-keys", {"name": "Grafana", "scope": "read"})
        assert created.status_code == 200
        assert created.headers["cache-control"] == "no-store"
        found = re.search(r'value="(sp_[^"]+)"', created.text)
        assert found is not None
        key = found.group(1)
        listing = await client.get("/settings/api-keys")
        assert "Grafana" in listing.text
        assert key not in listing.text
        (stored,) = (await client.get("/api/v1/api-keys")).json()
        async with make_client(app) as curl:
            assert (await curl.get("/api/v1/monitors", headers=bearer(key))).status_code == 200
            revoked = await self.form_post(client, f"/settings/api-keys/{stored['id']}/revoke", {})
            assert revoked.status_code == 303
            assert (await curl.get("/api/v1/monitors", headers=bearer(key))).status_code == 401
        assert "Grafana" not in (await client.get("/settings/api-keys")).text

    async def test_errors_stand_beside_the_field_and_nothing_is_made(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await business(app, client)
        refused = await self.form_post(client, "/settings/api-keys", {"name": " ", "scope": "read"})
        assert refused.status_code == 422
        assert 'id="key-name-error"' in refused.text
        assert (await client.get("/api/v1/api-keys")).json() == []

    async def test_a_free_plan_is_told_which_plan_has_keys(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        page = await client.get("/settings/api-keys")
        assert page.status_code == 200
        assert "Business plan" in page.text
        assert 'action="/settings/api-keys"' not in page.text
        refused = await self.form_post(client, "/settings/api-keys", {"name": "x", "scope": "read"})
        assert refused.status_code == 422
        assert "Business plan" in refused.text
