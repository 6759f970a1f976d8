"""The alerting page: channels created, changed, tested and deleted from the browser, and the
delivery log (issue 9). SaaS mode on the Business plan (every kind), private targets allowed so a
webhook may point at a local receiver."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from statusping.notifications.apprise import hosted
from statusping.storage.models import Channel, Organization
from statusping.web.pages.channel_presets import PRESETS, PresetError, build
from tests.conftest import make_client
from tests.support import signup

HTMX = {"HX-Request": "true"}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"allow_private_targets": True}


def field_error(html: str, name: str) -> str | None:
    found = re.search(rf'<p id="mf-{name}-error" class="form-error">([^<]*)</p>', html)
    return found.group(1) if found else None


async def set_plan(app: FastAPI, client: httpx.AsyncClient, plan: str) -> None:
    org_id = (await client.get("/api/v1/me")).json()["organization"]["id"]
    async with app.state.sessionmaker() as db, db.begin():
        org = await db.get(Organization, uuid.UUID(org_id))
        assert org is not None
        org.plan = plan


async def channels(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await client.get("/api/v1/channels")).json()
    return found


async def stored(app: FastAPI, channel_id: str) -> Channel:
    async with app.state.sessionmaker() as db:
        channel = await db.get(Channel, uuid.UUID(channel_id))
        assert channel is not None
        return channel


async def test_the_page_lists_the_signup_channel_and_an_empty_delivery_log(client: httpx.AsyncClient) -> None:
    me = await signup(client)

    page = await client.get("/alerting")

    assert page.status_code == 200
    assert f"Email to {me['user']['email']}" in page.text
    assert ">default<" in page.text
    assert "Nothing sent yet" in page.text
    assert 'href="/alerting/new"' in page.text


async def test_a_signed_out_visitor_is_sent_to_log_in(client: httpx.AsyncClient) -> None:
    for path in ("/alerting", "/alerting/new", "/maintenance", "/incidents", "/settings"):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next="), path


async def test_an_email_channel_is_created_edited_and_deleted_through_the_forms(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    form = await client.get("/alerting/new?type=email")
    assert form.status_code == 200
    assert 'name="to"' in form.text

    created = await client.post(
        "/alerting/new",
        data={
            "type": "email",
            "name": "Ops",
            "to": "ops@example.com, oncall@example.com",
            "is_default": "false",
        },
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/alerting"
    ops = next(c for c in await channels(client) if c["name"] == "Ops")
    assert ops["config"]["to"] == ["ops@example.com", "oncall@example.com"]
    assert ops["is_default"] is False

    edit = await client.get(f"/alerting/{ops['id']}/edit")
    assert 'value="ops@example.com, oncall@example.com"' in edit.text
    saved = await client.post(
        f"/alerting/{ops['id']}/edit",
        data={"type": "email", "name": "Ops team", "to": "team@example.com", "is_default": ["false", "true"]},
    )
    assert saved.status_code == 303
    changed = (await client.get(f"/api/v1/channels/{ops['id']}")).json()
    assert changed["name"] == "Ops team"
    assert changed["config"]["to"] == ["team@example.com"]
    assert changed["is_default"] is True

    confirm = await client.get(f"/alerting/{ops['id']}/delete")
    assert "Delete Ops team?" in confirm.text
    deleted = await client.post(f"/alerting/{ops['id']}/delete")
    assert deleted.status_code == 303
    assert (await client.get(f"/api/v1/channels/{ops['id']}")).status_code == 404


async def test_a_bad_address_is_refused_beside_its_field_and_nothing_is_saved(
    client: httpx.AsyncClient,
) -> None:
    await signup(client)
    before = await channels(client)

    plain = await client.post("/alerting/new", data={"type": "email", "name": "Ops", "to": "not-an-address"})
    assert plain.status_code == 422
    assert "is not an email address" in (field_error(plain.text, "to") or "")
    assert 'value="not-an-address"' in plain.text  # what was typed is shown back

    htmx = await client.post(
        "/alerting/new", data={"type": "email", "name": "", "to": "ops@example.com"}, headers=HTMX
    )
    assert htmx.status_code == 200  # htmx swaps the form; no console error for a 4xx
    assert htmx.text.lstrip().startswith('<form id="channel-form"')
    assert field_error(htmx.text, "name") == "Name must not be empty."
    assert await channels(client) == before


async def test_presets_build_the_apprise_url_from_labelled_fields(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    await set_plan(app, client, "business")
    cases = {
        "slack": (
            {"webhook_url": "https://hooks.slack.com/services/T000/B000/abcdefgh"},
            "slack://T000/B000/abcdefgh",
        ),
        "discord": ({"webhook_url": "https://discord.com/api/webhooks/1234/tok-en"}, "discord://1234/tok-en"),
        "telegram": (
            {"bot_token": "123456789:AAHabcdefghijklmnopqrstuvwxyz", "chat_id": "-1001234"},
            "tgram://123456789:AAHabcdefghijklmnopqrstuvwxyz/-1001234",
        ),
        "pagerduty": (
            {"integration_key": "ik1", "api_key": "ak1", "region": "eu"},
            "pagerduty://ik1@ak1?region=eu",
        ),
        "opsgenie": ({"api_key": "key1", "region": "us"}, "opsgenie://key1"),
        "pushover": ({"user_key": "u1", "app_token": "a1"}, "pover://u1@a1"),
        "ntfy": ({"topic": "statusping-test"}, "ntfy://statusping-test"),
    }
    for key, (fields, url) in cases.items():
        page = await client.get(f"/alerting/new?type={key}")
        assert page.status_code == 200
        response = await client.post("/alerting/new", data={"type": key, "name": key, **fields})
        assert response.status_code == 303, (key, response.text)
        made = next(c for c in await channels(client) if c["name"] == key)
        assert made["kind"] == "apprise"
        assert (await stored(app, made["id"])).config["url"] == url


async def test_a_malformed_preset_field_is_explained_beside_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    await set_plan(app, client, "business")

    response = await client.post(
        "/alerting/new", data={"type": "slack", "name": "Slack", "webhook_url": "https://example.com/hook"}
    )

    assert response.status_code == 422
    assert "not a webhook URL of this service" in (field_error(response.text, "webhook_url") or "")


async def test_every_preset_writes_a_scheme_the_hosted_service_accepts() -> None:
    schemes = {scheme for p in PRESETS.values() for scheme in p.schemes if scheme != "https"}
    assert schemes <= {*hosted.ALLOWED_SCHEMAS, "workflow"}
    with pytest.raises(PresetError):
        build(PRESETS["ntfy"], {"topic": "a b"})


async def test_a_plan_without_apprise_says_which_plan_lifts_it(client: httpx.AsyncClient) -> None:
    await signup(client)  # Free: email only

    page = await client.get("/alerting/new?type=slack")
    assert "the Business plan lifts it" in page.text

    refused = await client.post(
        "/alerting/new",
        data={"type": "slack", "name": "S", "webhook_url": "https://hooks.slack.com/services/T/B/C"},
    )
    assert refused.status_code == 422
    assert "not included in the Free plan" in refused.text


async def test_editing_a_webhook_keeps_its_masked_secrets(app: FastAPI, client: httpx.AsyncClient) -> None:
    await signup(client)
    await set_plan(app, client, "pro")
    created = await client.post(
        "/alerting/new",
        data={
            "type": "webhook",
            "name": "Hook",
            "url": "https://example.com/hooks/secret-token-123",
            "secret": "a-long-signing-secret",
            "headers": "Authorization: Bearer abcdefghijklmnop",
        },
    )
    assert created.status_code == 303, created.text
    hook = next(c for c in await channels(client) if c["name"] == "Hook")
    edit = (await client.get(f"/alerting/{hook['id']}/edit")).text
    assert "secret-token-123" not in edit
    assert "a-long-signing-secret" not in edit

    values = dict(re.findall(r'name="(url|secret)"[^>]*value="([^"]*)"', edit))
    headers = re.search(r'name="headers"[^>]*>([^<]*)</textarea>', edit)
    assert headers is not None
    saved = await client.post(
        f"/alerting/{hook['id']}/edit",
        data={"type": "webhook", "name": "Renamed", "url": values["url"], "secret": values["secret"],
              "headers": headers.group(1)},
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    config = (await stored(app, hook["id"])).config
    assert config["url"] == "https://example.com/hooks/secret-token-123"
    assert config["secret"] == "a-long-signing-secret"
    assert config["headers"] == {"Authorization": "Bearer abcdefghijklmnop"}


async def test_the_default_toggle_and_the_test_button_with_its_log_row(client: httpx.AsyncClient) -> None:
    await signup(client)
    channel = (await channels(client))[0]

    unset = await client.post(f"/alerting/{channel['id']}/default", data={"is_default": "false"})
    assert unset.status_code == 303
    assert (await client.get(f"/api/v1/channels/{channel['id']}")).json()["is_default"] is False

    tested = await client.post(f"/alerting/{channel['id']}/test", headers=HTMX)
    assert tested.status_code == 200
    assert 'data-test-result="sent"' in tested.text  # no SMTP: written to the log, counted as sent

    page = (await client.get("/alerting")).text
    assert 'id="delivery-log"' in page
    assert 'data-delivery-status="sent"' in page
    assert "Make default" in page


async def test_another_organizations_channel_is_the_404_page(app: FastAPI, client: httpx.AsyncClient) -> None:
    await signup(client)
    theirs = (await channels(client))[0]
    async with make_client(app) as outsider:
        await signup(outsider, organization="Other Org")
        for path in (
            f"/alerting/{theirs['id']}/edit",
            f"/alerting/{theirs['id']}/delete",
            "/alerting/nope/edit",
        ):
            response = await outsider.get(path)
            assert response.status_code == 404, path
            assert "Page not found" in response.text
        for action in ("delete", "test", "default"):
            response = await outsider.post(f"/alerting/{theirs['id']}/{action}", data={"is_default": "true"})
            assert response.status_code == 404, action
    assert (await client.get(f"/api/v1/channels/{theirs['id']}")).status_code == 200


async def test_the_delivery_log_pages_back(client: httpx.AsyncClient) -> None:
    await signup(client)
    channel = (await channels(client))[0]
    await client.post(f"/alerting/{channel['id']}/test", headers=HTMX)

    first = (await client.get("/alerting")).text
    assert first.count("data-delivery-status=") == 1
    assert "Older deliveries" not in first

    older = await client.get("/alerting", params={"before": "2000-01-01T00:00:00+00:00"})
    assert older.status_code == 200
    assert "No older deliveries" in older.text
