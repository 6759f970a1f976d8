"""What a receiver sees when a sender is slow or dies: a live dispatcher keeps its claim on a slow
send (no second copy from a peer), and every try of one delivery carries the same key (webhook
``Idempotency-Key``, email ``Message-ID``), so a repeat can be recognised. The crash itself, with
real processes and SIGKILL, is in tests/reliability/test_faults_dispatcher_kill.py."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from statusping.notifications.dispatcher import DispatcherOptions
from statusping.storage.repositories.outbox import OutboxRepository, Outcome
from tests.alerting import Receiver, create_channel, notifications, running_dispatcher
from tests.conftest import free_port
from tests.notifications.test_delivery import new_monitor, outage
from tests.support import eventually, signup

# A lease of 1.5 s, renewed every 0.5 s (a second of slack for a loaded test machine): a send that
# takes 4 s outlives it more than twice over.
SHORT_LEASE = DispatcherOptions(poll_interval=0.05, backoff_base=0.2, lease=timedelta(seconds=1.5))


async def test_a_slow_send_is_not_taken_over_by_a_second_dispatcher_while_its_sender_lives(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.answer_after = 4.0
    await signup(client)
    hook = await create_channel(client, name="Hook", kind="webhook", config={"url": receiver.url()})
    monitor = await new_monitor(client, [hook["id"]])
    async with running_dispatcher(app, SHORT_LEASE), running_dispatcher(app, SHORT_LEASE):
        await outage(app, monitor["id"])
        (row,) = await eventually(lambda: _rows_with(client, "sent"))
    assert len(receiver.requests) == 1  # the peer polled 80 times meanwhile and left it alone
    assert row["attempts"] == 1
    assert row["maybe_sent_attempts"] == 0
    detail = (await client.get(f"/api/v1/notifications/{row['id']}")).json()
    assert [a["status"] for a in detail["attempt_log"]] == ["sent"]
    assert detail["attempt_log"][0]["duration_ms"] >= 4000


async def test_a_try_in_flight_is_on_record_before_the_receiver_answers(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.answer_after = 1.0
    await signup(client)
    hook = await create_channel(client, name="Hook", kind="webhook", config={"url": receiver.url()})
    monitor = await new_monitor(client, [hook["id"]])
    async with running_dispatcher(app, SHORT_LEASE):
        await outage(app, monitor["id"])
        await receiver.wait_for(1)  # the request is at the receiver, unanswered
        (row,) = await notifications(client)
        detail = (await client.get(f"/api/v1/notifications/{row['id']}")).json()
        page = await client.get("/alerting")
        await eventually(lambda: _rows_with(client, "sent"))
    assert row["status"] == "pending"
    assert row["attempts"] == 1
    (attempt,) = detail["attempt_log"]
    assert attempt["status"] == "sending"
    assert attempt["duration_ms"] is None
    assert ">Sending</span>" in page.text


async def test_a_send_whose_lease_lapsed_and_was_taken_over_counts_as_a_possible_second_copy(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    """The lease ran out under a live but stalled sender (its database out of reach for longer than
    the lease); a peer sent the alert, and then the stalled send went through too."""
    await signup(client)
    hook = await create_channel(client, name="Hook", kind="webhook", config={"url": receiver.url()})
    monitor = await new_monitor(client, [hook["id"]])
    await outage(app, monitor["id"])
    async with app.state.sessionmaker() as db, db.begin():
        (stalled,) = await OutboxRepository(db).claim_due(
            owner="stalled", now=datetime.now(UTC), limit=1, lease=timedelta(seconds=0.2)
        )
    async with running_dispatcher(app, SHORT_LEASE):
        (row,) = await eventually(lambda: _rows_with(client, "sent"))
    assert row["maybe_sent_attempts"] == 1  # the stalled try, unknown for now
    done = datetime.now(UTC)
    async with app.state.sessionmaker() as db, db.begin():
        kept = await OutboxRepository(db).settle(
            stalled, "stalled", Outcome(True, None, False, 5000.0, done, None)
        )
    assert kept is False  # the claim was lost: the delivery stays as the peer settled it
    (row,) = await notifications(client)
    detail = (await client.get(f"/api/v1/notifications/{row['id']}")).json()
    assert [a["status"] for a in detail["attempt_log"]] == ["sent", "sent"]  # each try's own truth
    assert row["status"] == "sent"
    assert row["maybe_sent_attempts"] == 1  # one copy more than the delivery needed


async def test_a_dead_dispatchers_claim_goes_out_before_a_backlog_that_was_due_earlier(
    app: FastAPI, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await signup(client)
    hook = await create_channel(client, name="Hook", kind="webhook", config={"url": receiver.url()})
    first = await new_monitor(client, [hook["id"]])
    await outage(app, first["id"])
    claimed_at = datetime.now(UTC)
    async with app.state.sessionmaker() as db, db.begin():
        (dead,) = await OutboxRepository(db).claim_due(
            owner="dead", now=claimed_at, limit=1, lease=timedelta(seconds=1)
        )
    for _ in range(4):  # a backlog, due before the dead claim's lease runs out
        backlog = await new_monitor(client, [hook["id"]])
        await outage(app, backlog["id"])

    async def lease_over() -> bool:
        return datetime.now(UTC) > claimed_at + timedelta(seconds=1)

    await eventually(lease_over)
    one_at_a_time = DispatcherOptions(poll_interval=0.05, concurrency=1, lease=timedelta(seconds=5))
    async with running_dispatcher(app, one_at_a_time):
        await receiver.wait_for(5)
    assert receiver.requests[0].headers["Idempotency-Key"] == str(dead.delivery_id)


class _FirstTryRefused:
    """An SMTP server that takes the whole first message, then answers 451 (try again later)."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        if len(self.received) == 1:
            return "451 4.3.0 Temporary trouble, try again later"
        return "250 Message accepted for delivery"


class TestEmailRetry:
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

    @pytest.fixture
    async def mail_server(self, smtp_port: int) -> AsyncIterator[_FirstTryRefused]:
        handler = _FirstTryRefused()
        controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        try:
            yield handler
        finally:
            with contextlib.suppress(Exception):
                controller.stop()

    async def test_a_retried_alert_email_has_the_same_message_id_both_times(
        self, app: FastAPI, client: httpx.AsyncClient, mail_server: _FirstTryRefused
    ) -> None:
        await signup(client)
        channel = await create_channel(client, name="Ops", kind="email", config={"to": ["ops@example.com"]})
        monitor = await new_monitor(client, [channel["id"]])
        async with running_dispatcher(app):
            await outage(app, monitor["id"])
            (row,) = await eventually(lambda: _rows_with(client, "sent"))
        first, second = mail_server.received
        assert first["Message-ID"] == second["Message-ID"] == f"<{row['idempotency_key']}@testserver>"
        assert first["Subject"] == second["Subject"] == "[DOWN] Checkout API — 503 Service Unavailable"
        detail = (await client.get(f"/api/v1/notifications/{row['id']}")).json()
        assert [a["status"] for a in detail["attempt_log"]] == ["failed", "sent"]
        assert detail["attempt_log"][0]["error"].startswith("SMTP 451")


async def _rows_with(client: httpx.AsyncClient, status: str) -> list[dict[str, Any]]:
    return [r for r in await notifications(client) if r["status"] == status]
