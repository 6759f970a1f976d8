"""Settings, incidents, the header, the theme cookie and the 404 page, as a signed-in browser sees
them (issue 9). SaaS mode; private targets allowed so checks may reach the local target."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from statusping.storage.models import Membership
from tests.conftest import make_client
from tests.support import PASSWORD, login, signup
from tests.targets import SwitchableTarget

HTMX = {"HX-Request": "true"}
NEW_PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"allow_private_targets": True}


def field_error(html: str, name: str) -> str | None:
    found = re.search(rf'<p id="mf-{name}-error" class="form-error">([^<]*)</p>', html)
    return found.group(1) if found else None


async def make_viewer(app: FastAPI, user_id: str) -> None:
    async with app.state.sessionmaker() as db, db.begin():
        await db.execute(
            update(Membership).where(Membership.user_id == uuid.UUID(user_id)).values(role="viewer")
        )


# Settings -----------------------------------------------------------------------------------------


async def test_settings_show_profile_plan_and_usage_with_an_upgrade_link(client: httpx.AsyncClient) -> None:
    me = await signup(client)
    await client.post("/api/v1/monitors", json={"name": "A", "type": "http", "url": "https://example.com",
                                                "interval_seconds": 300})  # fmt: skip

    page = await client.get("/settings")

    assert page.status_code == 200
    assert me["user"]["email"] in page.text
    assert "1 of 5 monitors" in page.text
    assert "1 alert channel;" in page.text  # the sign-up email channel
    assert "24 hours of history" in page.text
    assert 'href="/#plans"' in page.text
    assert "Upgrade to Pro" in page.text


async def test_the_organization_is_renamed_and_moved_to_another_zone(client: httpx.AsyncClient) -> None:
    await signup(client)

    saved = await client.post(
        "/settings/organization", data={"name": "  Acme   Labs ", "timezone": "Asia/Tokyo"}
    )

    assert saved.status_code == 303
    assert saved.headers["location"] == "/settings?saved=organization"
    org = (await client.get("/api/v1/me")).json()["organization"]
    assert org["name"] == "Acme Labs"
    assert org["timezone"] == "Asia/Tokyo"
    assert "Organization saved." in (await client.get(saved.headers["location"])).text


async def test_organization_refusals_appear_beside_their_fields_and_change_nothing(
    client: httpx.AsyncClient,
) -> None:
    await signup(client)

    empty = await client.post("/settings/organization", data={"name": " ", "timezone": "UTC"})
    assert empty.status_code == 422
    assert field_error(empty.text, "name") == "Organization name must not be empty."

    zone = await client.post(
        "/settings/organization", data={"name": "New name", "timezone": "Nowhere/Land"}, headers=HTMX
    )
    assert zone.status_code == 200
    assert zone.text.lstrip().startswith('<form id="organization-form"')
    assert "Unknown time zone" in (field_error(zone.text, "timezone") or "")
    org = (await client.get("/api/v1/me")).json()["organization"]
    assert org["name"] == "Acme Inc"  # the rename before the refused zone was undone


async def test_the_password_is_changed_with_the_policy_and_the_browser_stays_signed_in(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await signup(client)

    wrong = await client.post(
        "/settings/password", data={"current_password": "nope", "new_password": NEW_PASSWORD}
    )
    assert wrong.status_code == 422
    assert field_error(wrong.text, "current_password") == "Current password is wrong."
    weak = await client.post(
        "/settings/password", data={"current_password": PASSWORD, "new_password": "password"}
    )
    assert "password" in (field_error(weak.text, "new_password") or "")

    changed = await client.post(
        "/settings/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 303
    client.headers["X-CSRF-Token"] = client.cookies["statusping_csrf"]
    assert (await client.get("/settings")).status_code == 200  # a fresh session for this browser
    async with make_client(app) as other:
        assert (await login(other, me["user"]["email"], PASSWORD)).status_code == 401
        assert (await login(other, me["user"]["email"], NEW_PASSWORD)).status_code == 200


async def test_a_viewer_sees_settings_but_cannot_change_the_organization(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await signup(client)
    await make_viewer(app, me["user"]["id"])

    page = await client.get("/settings")
    assert "Viewers cannot change the organization." in page.text
    assert '<fieldset class="grid gap-4 sm:grid-cols-2" disabled>' in page.text  # no field looks editable
    refused = await client.post("/settings/organization", data={"name": "Mine now", "timezone": "UTC"})
    assert refused.status_code == 403
    for path in ("/alerting", "/maintenance"):
        html = (await client.get(path)).text
        assert 'href="/alerting/new"' not in html
        assert 'href="/maintenance/new"' not in html


# Theme and header ---------------------------------------------------------------------------------


async def test_the_theme_cookie_sets_the_class_on_html_and_the_status_page_ignores_it(
    client: httpx.AsyncClient,
) -> None:
    await signup(client)
    assert re.search(r'value="system" class="size-4" checked', (await client.get("/settings")).text)
    plain = (await client.get("/dashboard")).text
    assert '<html lang="en" class="h-full">' in plain
    assert '<meta name="color-scheme" content="light dark">' in plain

    chosen = await client.post("/settings/theme", data={"theme": "dark"})
    assert chosen.status_code == 303
    assert client.cookies["statusping_theme"] == "dark"
    dark = (await client.get("/settings")).text
    assert '<html lang="en" class="h-full dark">' in dark
    assert '<meta name="color-scheme" content="dark">' in dark
    assert re.search(r'value="dark" class="size-4" checked', dark)

    slug = (await client.get("/api/v1/me")).json()["organization"]["slug"]
    status_page = await client.get("/status-page")  # the page's editor, linking to the public page
    assert f'href="/s/{slug}"' in status_page.text
    public = (await client.get(f"/s/{slug}")).text
    assert '<html lang="en" class="h-full">' in public  # the same bytes for everyone: the system's scheme

    client.cookies.set("statusping_theme", "<script>")
    assert '<html lang="en" class="h-full">' in (await client.get("/dashboard")).text


async def test_the_header_links_every_section_and_each_one_opens(client: httpx.AsyncClient) -> None:
    await signup(client)
    html = (await client.get("/dashboard")).text

    links = set(re.findall(r"<header.*?</header>", html, re.S)[0].split('href="')[1:])
    targets = {link.split('"', 1)[0] for link in links}
    assert {"/dashboard", "/incidents", "/maintenance", "/alerting", "/status-page", "/settings"} <= targets
    assert 'action="/logout"' in html
    assert "<details" in html
    assert "<summary" in html
    assert 'href="#main"' in html  # skip link
    for target in targets:
        response = await client.get(target)
        assert response.status_code in (200, 303), target
        if response.status_code == 303:
            assert (await client.get(response.headers["location"])).status_code == 200, target


# The 404 page -------------------------------------------------------------------------------------


async def test_the_404_page_knows_whether_you_are_signed_in(app: FastAPI, client: httpx.AsyncClient) -> None:
    stranger = await client.get("/no-such-page")
    assert stranger.status_code == 404
    assert 'href="/login"' in stranger.text
    assert 'action="/logout"' not in stranger.text

    await signup(client)
    signed_in = await client.get("/no-such-page")
    assert signed_in.status_code == 404
    assert "Page not found" in signed_in.text
    assert 'action="/logout"' in signed_in.text
    assert 'href="/alerting"' in signed_in.text
    assert "Go to the dashboard" in signed_in.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', signed_in.text)
    assert csrf is not None
    assert csrf.group(1) == client.cookies["statusping_csrf"]  # log-out from the 404 page works


# Incidents ----------------------------------------------------------------------------------------


async def test_incidents_list_filters_and_links_to_the_monitor(
    app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client)
    empty = await client.get("/incidents")
    assert empty.status_code == 200
    assert "No incidents yet" in empty.text

    monitor = (await client.post("/api/v1/monitors", json={"name": "Shop", "type": "http", "url": target.url,
                                                           "interval_seconds": 300, "failure_threshold": 1})).json()  # fmt: skip
    target.status = 503
    assert (await client.post(f"/api/v1/monitors/{monitor['id']}/check")).status_code == 200
    target.status = 200
    assert (await client.post(f"/api/v1/monitors/{monitor['id']}/check")).status_code == 200
    target.status = 500
    assert (await client.post(f"/api/v1/monitors/{monitor['id']}/check")).status_code == 200

    html = (await client.get("/incidents")).text
    assert html.count("data-incident=") == 2
    assert f'href="/monitors/{monitor["id"]}"' in html
    assert "503" in html
    assert "500" in html
    opened = (await client.get("/incidents?state=open")).text
    assert opened.count('data-incident="open"') == 1
    assert 'data-incident="resolved"' not in opened
    resolved = (await client.get("/incidents?state=resolved")).text
    assert resolved.count('data-incident="resolved"') == 1
    assert (await client.get("/incidents?state=bogus&page=99")).status_code == 200
    assert (await client.get("/incidents?page=0")).status_code == 422

    async with make_client(app) as outsider:
        await signup(outsider, organization="Other Org")
        assert "data-incident=" not in (await outsider.get("/incidents")).text
