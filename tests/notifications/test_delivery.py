"""From a recorded check to a delivered alert: outbox rows in the recording transaction, the
dispatcher's retries, permanent failures, the flap cap, and nothing lost when a sender dies."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.storage.models import AlertEvent, Delivery
from statusping.storage.repositories.outbox import OutboxRepository
from tests.alerting import Receiver, create_channel, notifications, record_with_alerts, running_dispatcher
from tests.conftest import free_port
from tests.support import SmtpSink, eventually, signup

OK = CheckOutcome(ok=True, status_code=200, response_ms=12.0)
FAIL = CheckOutcome.failure(
    ErrorKind.STATUS, "expected 200-299, got 503 Service Unavailable", status_code=503
)


async def new_monitor(client: httpx.AsyncClient, channel_ids: list[str], **extra: Any) -> dict[str, Any]:
    body = {"name": "Checkout API", "type": "http", "url": "https://shop.example/api", "interval_seconds": 60}
    created = await client.post("/api/v1/monitors", json={**body, **extra})
    assert created.status_code == 201, created.text
    monitor: dict[str, Any] = created.json()
    put = await client.put(f"/api/v1/monitors/{monitor['id']}/alerts", json={"channel_ids": channel_ids})
    assert put.status_code == 200, put.text
    return monitor


async def outage(app: FastAPI, monitor_id: str) -> None:
    for _ in range(3):
        await record_with_alerts(app, monitor_id, FAIL)


async def count(app: FastAPI, model: type[Any]) -> int:
    async with app.state.sessionmaker() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_healthy_checks_and_unconfirmed_failures_write_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    channel = await create_channel(client, name="Ops", kind="email", config={"to": ["ops@example.com"]})
    monitor = await new_monitor(client, [channel["id"]])
    for outcome in (OK, OK, FAIL, FAIL, OK):
        await record_with_alerts(app, monitor["id"], outcome)
    assert await count(app, AlertEvent) == 0


async def test_a_confirmed_outage_writes_one_delivery_per_channel_and_a_monitor_without_channels_none(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await signup(client)
    mail = await create_channel(client, name="Ops", kind="email", config={"to": ["ops@example.com"]})
    hook = await create_channel(client, name="Hook", kind="webhook", config={"url": receiver.url()})
    watched = await new_monitor(client, [mail["id"], hook["id"]])
    unwatched = await new_monitor(client, [])
    await outage(app, watched["id"])
    await outage(app, unwatched["id"])
    rows = await notifications(client)
    assert sorted(r["channel"]["kind"] for r in rows) == ["email", "webhook"]
    assert {r["status"] for r in rows} == {"pending"}
    assert {r["event"]["subject"] for r in rows} == {"[DOWN] Checkout API — 503 Service Unavailable"}


async def test_an_outage_and_its_recovery_reach_email_and_a_signed_webhook_once_each(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver, smtp_sink: SmtpSink
) -> None:
    await signup(client)
    mail = await create_channel(client, name="Ops", kind="email", config={"to": ["ops@example.com"]})
    hook = await create_channel(
        client, name="Hook", kind="webhook", config={"url": receiver.url(), "secret": "hook-secret-123"}
    )
    monitor = await new_monitor(client, [mail["id"], hook["id"]])
    async with running_dispatcher(app):
        await outage(app, monitor["id"])
        await record_with_alerts(app, monitor["id"], FAIL)  # still down: no second alert
        (down_mail,) = await smtp_sink.wait_for(1)
        (down_hook,) = await receiver.wait_for(1)
        await record_with_alerts(app, monitor["id"], OK)
        await smtp_sink.wait_for(2)
        await receiver.wait_for(2)
    assert down_mail["Subject"] == "[DOWN] Checkout API — 503 Service Unavailable"
    signature = "sha256=" + hmac.new(b"hook-secret-123", down_hook.body, hashlib.sha256).hexdigest()
    assert down_hook.headers["X-StatusPing-Signature"] == signature
    assert down_hook.json()["monitor"]["url"] == f"http://testserver/monitors/{monitor['id']}"
    up_mail = smtp_sink.messages[1]
    assert up_mail["Subject"].startswith("[UP] Checkout API — back up after")
    assert "Downtime:" in up_mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert len(smtp_sink.messages) == 2
    assert len(receiver.requests) == 2
    assert {r["status"] for r in await notifications(client)} == {"sent"}


async def test_a_hook_that_fails_then_recovers_is_sent_on_the_second_attempt(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.statuses = [500]
    await signup(client)
    hook = await create_channel(client, name="Hook", kind="webhook", config={"url": receiver.url()})
    monitor = await new_monitor(client, [hook["id"]])
    async with running_dispatcher(app):
        await outage(app, monitor["id"])
        (row,) = await eventually(lambda: _rows_with(client, "sent"))
    assert row["attempts"] == 2
    detail = (await client.get(f"/api/v1/notifications/{row['id']}")).json()
    assert [a["ok"] for a in detail["attempt_log"]] == [False, True]
    assert detail["attempt_log"][0]["error"] == "HTTP 500 Internal Server Error"


async def test_a_hook_that_is_gone_fails_after_one_attempt_and_is_not_retried(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.statuses = [404, 404, 404]
    await signup(client)
    hook = await create_channel(client, name="Hook", kind="webhook", config={"url": receiver.url()})
    monitor = await new_monitor(client, [hook["id"]])
    async with running_dispatcher(app):
        await outage(app, monitor["id"])
        (row,) = await eventually(lambda: _rows_with(client, "failed"))
        await receiver.wait_for(1)
    assert row["attempts"] == 1
    assert row["last_error"] == "HTTP 404 Not Found"
    assert len(receiver.requests) == 1


async def test_a_delivery_claimed_by_a_dispatcher_that_died_is_sent_after_its_lease(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await signup(client)
    hook = await create_channel(client, name="Hook", kind="webhook", config={"url": receiver.url()})
    monitor = await new_monitor(client, [hook["id"]])
    await outage(app, monitor["id"])
    async with app.state.sessionmaker() as db, db.begin():
        claimed = await OutboxRepository(db).claim_due(
            owner="dead-worker", now=datetime.now(UTC), limit=10, lease=timedelta(seconds=0.3)
        )
    assert len(claimed) == 1  # ...and then the process died before recording how the try ended
    async with running_dispatcher(app):
        (row,) = await eventually(lambda: _rows_with(client, "sent"))
    assert row["attempts"] == 2
    assert row["maybe_sent_attempts"] == 1  # the dead one's try may have reached the receiver
    detail = (await client.get(f"/api/v1/notifications/{row['id']}")).json()
    assert [a["status"] for a in detail["attempt_log"]] == ["unknown", "sent"]
    assert detail["attempt_log"][0]["duration_ms"] is None
    assert "may have the message" in detail["attempt_log"][0]["error"]
    (request,) = receiver.requests
    assert request.headers["Idempotency-Key"] == row["idempotency_key"] == str(claimed[0].delivery_id)
    page = (await client.get("/alerting")).text
    assert 'data-maybe-sent="1"' in page
    assert "May have arrived twice" in page  # sent, and the dead one's try may have arrived too
    assert "Idempotency-Key" in page  # the note says how a receiver drops the repeat


async def test_a_flapping_monitor_sends_the_cap_then_one_summary_counting_what_was_held_back(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    channel = await create_channel(client, name="Ops", kind="email", config={"to": ["ops@example.com"]})
    monitor = await new_monitor(client, [channel["id"]], failure_threshold=1)
    for _ in range(6):
        await record_with_alerts(app, monitor["id"], FAIL)
        await record_with_alerts(app, monitor["id"], OK)
    kinds = [r["event"]["kind"] for r in await notifications(client)]
    assert sorted(kinds) == ["down"] * 3 + ["flapping"] + ["up"] * 3
    async with app.state.sessionmaker() as db:
        summary = await db.scalar(select(AlertEvent).where(AlertEvent.kind == "flapping"))
        assert summary is not None
        assert summary.payload["flapping"]["held_back"] == 6
        delivery = await db.scalar(select(Delivery).where(Delivery.event_id == summary.id))
        assert delivery is not None
        assert delivery.next_attempt_at is not None
        assert delivery.next_attempt_at > datetime.now(UTC) + timedelta(minutes=50)


async def test_a_certificate_inside_a_warning_step_alerts_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    channel = await create_channel(client, name="Ops", kind="email", config={"to": ["ops@example.com"]})
    monitor = await new_monitor(client, [channel["id"]], ssl_expiry_days=14)
    expiring = CheckOutcome(
        ok=True,
        status_code=200,
        ssl_expires_at=datetime.now(UTC) + timedelta(days=6, hours=1),
        ssl_issuer="R3",
    )
    for _ in range(3):
        await record_with_alerts(app, monitor["id"], expiring)
    (row,) = await notifications(client)
    assert row["event"]["subject"] == "[TLS] Checkout API — TLS certificate expires in 6 days"
    assert row["event"]["payload"]["certificate"]["issuer"] == "R3"


class TestMailServerOutage:
    @pytest.fixture
    def smtp_port(self) -> int:
        return free_port()

    @pytest.fixture
    def settings_overrides(self, smtp_port: int) -> dict[str, object]:
        return {
            "mode": "selfhosted",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
            "smtp_starttls": False,
        }

    async def test_an_alert_queued_while_the_mail_server_is_down_arrives_when_it_returns(
        self, app: FastAPI, client: httpx.AsyncClient, smtp_port: int
    ) -> None:
        await signup(client)
        channel = await create_channel(client, name="Ops", kind="email", config={"to": ["ops@example.com"]})
        monitor = await new_monitor(client, [channel["id"]])
        sink = SmtpSink(port=smtp_port)
        async with running_dispatcher(app):
            await outage(app, monitor["id"])
            (failing,) = await eventually(lambda: _rows_where(client, lambda r: r["attempts"] >= 2))
            assert failing["status"] == "pending"
            assert "mail server unreachable" in failing["last_error"]
            sink.start()
            try:
                (mail,) = await sink.wait_for(1, within=15)
                (row,) = await eventually(lambda: _rows_with(client, "sent"))
            finally:
                sink.stop()
        assert mail["Subject"] == "[DOWN] Checkout API — 503 Service Unavailable"
        assert row["attempts"] >= 3
        detail = (await client.get(f"/api/v1/notifications/{row['id']}")).json()
        assert [a["ok"] for a in detail["attempt_log"]][-1] is True
        assert not any(a["ok"] for a in detail["attempt_log"][:-1])


async def _rows_with(client: httpx.AsyncClient, status: str) -> list[dict[str, Any]]:
    return [r for r in await notifications(client) if r["status"] == status]


async def _rows_where(client: httpx.AsyncClient, test: Any) -> list[dict[str, Any]]:
    return [r for r in await notifications(client) if test(r)]
