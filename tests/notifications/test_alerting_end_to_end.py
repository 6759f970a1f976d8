"""Issue 5, "What it must show", through the API alone: checks run with check-now against a real
failing target; the engine's recorder writes the outbox rows, the dispatcher delivers them.

"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.alerting import Receiver, create_channel, notifications, running_dispatcher
from tests.conftest import free_port
from tests.support import SmtpSink, eventually, signup
from tests.targets import SwitchableTarget

SECRET = "e2e-webhook-secret"


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def settings_overrides(smtp_port: int) -> dict[str, object]:
    return {
        "mode": "selfhosted",
        "min_interval_seconds": 1,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_starttls": False,
    }


async def check(client: httpx.AsyncClient, monitor_id: str, times: int = 1) -> None:
    for _ in range(times):
        response = await client.post(f"/api/v1/monitors/{monitor_id}/check")
        assert response.status_code == 200, response.text


async def test_outage_recovery_test_send_and_a_mail_server_outage_as_a_customer_sees_them(
    app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget, receiver: Receiver, smtp_port: int
) -> None:
    await signup(client)
    mail = await create_channel(client, name="Ops", kind="email", config={"to": ["ops@example.com"]})
    hook = await create_channel(
        client, name="Hook", kind="webhook", config={"url": receiver.url(), "secret": SECRET}
    )
    created = await client.post(
        "/api/v1/monitors",
        json={"name": "Checkout API", "type": "http", "url": target.url, "interval_seconds": 3600},
    )
    monitor: dict[str, Any] = created.json()
    put = await client.put(
        f"/api/v1/monitors/{monitor['id']}/alerts", json={"channel_ids": [mail["id"], hook["id"]]}
    )
    assert put.status_code == 200, put.text

    first_sink = SmtpSink(port=smtp_port)
    first_sink.start()
    try:
        async with running_dispatcher(app):
            # A confirmed outage: exactly one email naming the monitor and one signed webhook.
            target.status = 503
            await check(client, monitor["id"], times=4)
            (down,) = await first_sink.wait_for(1)
            (posted,) = await receiver.wait_for(1)
            assert down["Subject"] == "[DOWN] Checkout API — 503 Service Unavailable"
            expected = "sha256=" + hmac.new(SECRET.encode(), posted.body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(posted.headers["X-StatusPing-Signature"], expected)
            assert posted.json()["event"] == "down"

            # The recovery: one more email, with the downtime.
            target.status = 200
            await check(client, monitor["id"])
            await first_sink.wait_for(2)
            assert first_sink.messages[1]["Subject"].startswith("[UP] Checkout API — back up after")

            # The test endpoint delivers a test email.
            tested = await client.post(f"/api/v1/channels/{mail['id']}/test")
            assert tested.json()["status"] == "sent"
            await first_sink.wait_for(3)
            assert first_sink.messages[2]["Subject"] == "[TEST] StatusPing — test message"
            assert len(receiver.requests) == 2  # down and up; nothing more
    finally:
        first_sink.stop()

    # The mail server is down during the next outage and comes back later.
    async with running_dispatcher(app):
        target.status = 500
        await check(client, monitor["id"], times=3)

        async def email_retried() -> list[dict[str, Any]]:
            return [
                r for r in await notifications(client)
                if r["event"]["kind"] == "down" and r["channel"]["kind"] == "email" and r["attempts"] >= 2
                and r["status"] == "pending"
            ]  # fmt: skip

        await eventually(email_retried)
        second_sink = SmtpSink(port=smtp_port)
        second_sink.start()
        back = time.monotonic()
        try:
            (again,) = await second_sink.wait_for(1, within=120)
        finally:
            second_sink.stop()
        assert time.monotonic() - back < 120
    assert again["Subject"].startswith("[DOWN] Checkout API — 500")
    rows = [
        r
        for r in await notifications(client)
        if r["channel"]["kind"] == "email" and r["event"]["kind"] == "down"
    ]
    latest = rows[0]
    assert latest["status"] == "sent"
    assert latest["attempts"] >= 2
