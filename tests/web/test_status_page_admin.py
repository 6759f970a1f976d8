"""The dashboard's status page editor: plain forms with the CSRF field, errors beside fields."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from statusping.storage.models import Organization
from tests.conftest import make_client
from tests.support import signup


async def _plan(app: FastAPI, client: httpx.AsyncClient, name: str) -> None:
    org_id = (await client.get("/api/v1/me")).json()["organization"]["id"]
    async with app.state.sessionmaker() as db, db.begin():
        org = await db.get(Organization, uuid.UUID(org_id))
        assert org is not None
        org.plan = name


async def _post(client: httpx.AsyncClient, form: str, data: dict[str, Any]) -> httpx.Response:
    body = {"csrf_token": client.cookies["statusping_csrf"], **data}
    return await client.post(f"/status-page/{form}", data=body)


async def _page(client: httpx.AsyncClient) -> dict[str, Any]:
    (page,) = (await client.get("/api/v1/status-pages")).json()
    found: dict[str, Any] = page
    return found


def _field_error(html: str, name: str) -> str | None:
    found = re.search(rf'<p id="mf-{name}-error" class="form-error"[^>]*>([^<]*)</p>', html)
    return found.group(1) if found else None


async def _monitor(client: httpx.AsyncClient, name: str, *, public: bool) -> str:
    response = await client.post(
        "/api/v1/monitors",
        json={
            "name": name,
            "type": "heartbeat",
            "interval_seconds": 3600,
            "grace_seconds": 300,
            "public": public,
        },
    )
    assert response.status_code == 201, response.text
    monitor_id: str = response.json()["id"]
    return monitor_id


async def test_signed_out_visitors_are_sent_to_log_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/status-page")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2Fstatus-page")


async def test_details_save_and_a_slug_change_keeps_the_old_address_working(
    client: httpx.AsyncClient,
) -> None:
    await signup(client, organization="Editor Co")
    old = (await _page(client))["slug"]
    html = (await client.get("/status-page")).text
    assert f'href="/s/{old}"' in html
    assert 'name="csrf_token"' in html

    saved = await _post(
        client, "details", {"title": "Editor Status", "description": "Our services", "slug": "editor-status"}
    )
    assert saved.status_code == 303
    assert saved.headers["location"].startswith("/status-page?saved=details")
    page = await _page(client)
    assert (page["title"], page["description"], page["slug"]) == (
        "Editor Status",
        "Our services",
        "editor-status",
    )
    assert 'href="/s/editor-status"' in (await client.get("/status-page")).text
    moved = await client.get(f"/s/{old}")
    assert moved.status_code == 308
    assert moved.headers["location"] == "/s/editor-status"

    refused = await _post(client, "details", {"title": "", "description": "", "slug": "Admin"})
    assert refused.status_code == 422
    assert _field_error(refused.text, "title")
    assert (await _page(client))["slug"] == "editor-status"
    reserved = await _post(client, "details", {"title": "Ok", "description": "", "slug": "admin"})
    assert "reserved" in (_field_error(reserved.text, "slug") or "")
    assert 'value="admin"' in reserved.text  # what was typed stays in the form
    assert (await _page(client))["title"] == "Editor Status"


async def test_a_slug_another_page_holds_is_a_conflict_beside_the_field(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client, organization="First Holder")
    taken = (await _page(client))["slug"]
    async with make_client(app) as other:
        await signup(other, organization="Second Holder")
        refused = await _post(other, "details", {"title": "Second Holder", "slug": taken})
        assert refused.status_code == 422
        assert "taken" in (_field_error(refused.text, "slug") or "")


async def test_components_are_chosen_named_grouped_and_ordered(client: httpx.AsyncClient) -> None:
    await signup(client)
    api = await _monitor(client, "api-prod", public=True)
    web = await _monitor(client, "web-prod", public=True)
    secret = await _monitor(client, "db-internal", public=False)
    html = (await client.get("/status-page")).text
    assert re.search(rf'value="{secret}" class="size-4 shrink-0" disabled', html)

    saved = await _post(
        client,
        "components",
        {"monitor_id": [api, web], f"name_{api}": "API", f"group_{api}": "Backend", f"order_{api}": "2",
         f"name_{web}": "Website", f"order_{web}": "1"},
    )  # fmt: skip
    assert saved.status_code == 303
    components = (await _page(client))["components"]
    assert [(c["monitor_id"], c["name"], c["group"]) for c in components] == [
        (web, "Website", None),
        (api, "API", "Backend"),
    ]
    public = (await client.get(f"/s/{(await _page(client))['slug']}")).text
    assert public.index("Website") < public.index("API")
    assert "db-internal" not in public

    bad = await _post(client, "components", {"monitor_id": [api], f"order_{api}": "first"})
    assert bad.status_code == 422
    assert "whole number" in bad.text
    forged = await _post(client, "components", {"monitor_id": [secret]})
    assert forged.status_code == 422
    assert "private" in forged.text
    assert len((await _page(client))["components"]) == 2


async def test_branding_is_offered_on_paid_plans_only(app: FastAPI, client: httpx.AsyncClient) -> None:
    await signup(client, organization="Brand Page")
    html = (await client.get("/status-page")).text
    assert "come with the Pro and Business plans" in html
    assert "Save branding" not in html
    refused = await _post(client, "branding", {"brand_color": "#ff0000"})
    assert refused.status_code == 422
    assert "Pro plan lifts it" in refused.text

    await _plan(app, client, "pro")
    bad = await _post(client, "branding", {"logo_url": "http://x.test/logo.png", "brand_color": "red"})
    assert bad.status_code == 422
    assert _field_error(bad.text, "logo_url")
    saved = await _post(
        client, "branding", {"logo_url": "https://x.test/logo.png", "brand_color": "#0f766e"}
    )  # show_powered_by unticked
    assert saved.status_code == 303
    page = await _page(client)
    assert (page["logo_url"], page["brand_color"], page["show_powered_by"]) == (
        "https://x.test/logo.png", "#0f766e", False,
    )  # fmt: skip
    assert (
        "Serve this page on your own domain with the Business plan" in (await client.get("/status-page")).text
    )


async def test_a_custom_domain_is_set_and_shows_its_txt_record(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    await _plan(app, client, "business")
    bad = await _post(client, "domain", {"custom_domain": "not a domain"})
    assert bad.status_code == 422
    assert _field_error(bad.text, "custom_domain")
    assert (await _post(client, "domain", {"custom_domain": "status.example.org"})).status_code == 303
    html = (await client.get("/status-page")).text
    token = (await _page(client))["domain_verification"]["value"]
    assert "_statusping.status.example.org" in html
    assert f'<dd class="break-all font-mono" id="domain-token">{token}</dd>' in html
    assert 'action="/status-page/verify"' in html


async def test_viewers_and_forged_posts_change_nothing(client: httpx.AsyncClient) -> None:
    await signup(client)
    forged = await client.post(
        "/status-page/details", data={"title": "Hacked", "slug": "hacked"}, headers={"X-CSRF-Token": ""}
    )
    assert forged.status_code == 403
    assert (await _page(client))["title"] != "Hacked"
    assert (await _post(client, "nonsense", {})).status_code == 404


async def test_custom_css_privacy_and_automatic_incidents_are_edited_in_the_dashboard(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client, organization="Editor Extras")
    html = (await client.get("/status-page")).text
    assert "Style the page with your own CSS on the Business plan" in html
    assert "Put the page behind a password with the Business plan" in html
    assert 'name="show_automatic_incidents" class="mt-0.5 size-4" checked' in html

    # The automatic-incident switches work on every plan: unticked boxes turn them off.
    assert (await _post(client, "automatic", {"notify_automatic_incidents": "on"})).status_code == 303
    page = await _page(client)
    assert (page["show_automatic_incidents"], page["notify_automatic_incidents"]) == (False, True)

    await _plan(app, client, "business")
    hostile = await _post(client, "css", {"custom_css": "@import url(https://evil.example/x.css);"})
    assert hostile.status_code == 422
    error = _field_error(hostile.text, "custom_css")
    assert error is not None
    assert "@import" in error
    assert "evil.example" in hostile.text  # the text stays in the box to be fixed
    assert (await _page(client))["custom_css"] is None
    assert (await _post(client, "css", {"custom_css": "h1 { letter-spacing: .02em }"})).status_code == 303
    assert (await _page(client))["custom_css"] == "h1 { letter-spacing: .02em }"

    short = await _post(client, "privacy", {"private": "on", "password": "short"})
    assert short.status_code == 422
    assert _field_error(short.text, "password")
    assert (await _page(client))["private"] is False
    made = await _post(client, "privacy", {"private": "on", "password": "open sesame 42"})
    assert made.status_code == 303
    assert (await _page(client))["private"] is True
    html = (await client.get("/status-page")).text
    assert "Visitors need the password" in html
    assert "open sesame" not in html
    assert (await _post(client, "privacy", {"private": "off"})).status_code == 303
    assert (await _page(client))["private"] is False
