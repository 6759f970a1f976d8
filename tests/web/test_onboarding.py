"""A new account's first outage reaches its owner with no setup (issue 9)."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from tests.alerting import notifications, running_dispatcher
from tests.support import eventually, signup, unique_email
from tests.targets import SwitchableTarget


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # No SMTP: every email goes to the log, as on a fresh install.
    return {"mode": "selfhosted", "min_interval_seconds": 1, "smtp_host": None}


async def test_signing_up_creates_a_default_email_channel_to_the_new_address(
    client: httpx.AsyncClient,
) -> None:
    email = unique_email("Owner")
    await signup(client, email=email)

    (channel,) = (await client.get("/api/v1/channels")).json()
    assert channel["kind"] == "email"
    assert channel["is_default"] is True
    assert channel["config"] == {"to": [email.lower()]}


async def test_signing_up_through_the_form_creates_the_default_channel_too(client: httpx.AsyncClient) -> None:
    page = await client.get("/signup")
    email = unique_email()
    response = await client.post(
        "/signup",
        data={
            "email": email,
            "password": "correct horse battery",
            "organization": "Form Org",
            "csrf_token": page.cookies.get("statusping_csrf") or client.cookies["statusping_csrf"],
        },
    )
    assert response.status_code == 303, response.text
    assert [c["config"]["to"] for c in (await client.get("/api/v1/channels")).json()] == [[email]]


async def test_the_first_outage_is_emailed_to_the_owner_and_logged_as_delivered_without_smtp(
    app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget, caplog: pytest.LogCaptureFixture
) -> None:
    email = unique_email("first")
    await signup(client, email=email)
    created = await client.post(
        "/api/v1/monitors",
        json={"name": "Shop", "type": "http", "url": target.url, "interval_seconds": 3600,
              "failure_threshold": 1},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    monitor = created.json()
    assert len(monitor["channel_ids"]) == 1  # the default channel, without asking

    target.status = 503
    with caplog.at_level(logging.WARNING, logger="statusping.mail"):
        async with running_dispatcher(app):
            assert (await client.post(f"/api/v1/monitors/{monitor['id']}/check")).status_code == 200

            async def delivered() -> list[dict[str, object]]:
                return [d for d in await notifications(client) if d["status"] == "sent"]

            (delivery,) = await eventually(delivered)
    assert delivery["attempts"] == 1
    assert f"To: {email}" in caplog.text
    assert "[DOWN] Shop" in caplog.text
