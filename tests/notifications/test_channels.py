"""Each channel against a real server: SMTP (aiosmtpd), an HTTP receiver, Apprise's json:// service."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from statusping.config import Settings
from statusping.domain.messages import AlertMessage, build_message
from statusping.mail import Mailer
from statusping.notifications.apprise.channel import AppriseChannel
from statusping.notifications.base import DeliveryError
from statusping.notifications.email.channel import EmailChannel
from statusping.notifications.webhook.channel import WebhookChannel
from statusping.outbound.http import HttpClient, TargetPolicy
from tests.alerting import Receiver
from tests.support import SmtpSink

DOWN_PAYLOAD: dict[str, Any] = {
    "version": 1,
    "event": "down",
    "event_id": "9b1f0c2e-0000-4000-8000-000000000001",
    "occurred_at": "2026-03-01T12:01:00Z",
    "monitor": {
        "id": "5d0c",
        "name": "Checkout API",
        "type": "http",
        "target": "GET https://shop.example/api",
    },
    "status": "down",
    "cause": "expected 200-299, got 503 Service Unavailable",
    "error_kind": "status",
    "status_code": 503,
    "reason": "503 Service Unavailable",
    "started_at": "2026-03-01T12:00:00Z",
    "downtime_seconds": None,
}


# A delivery's id: the idempotency key every try of it carries.
KEY = "0b5e7a4c-1d2e-4f60-8a9b-0c1d2e3f4a5b"


def down_message() -> AlertMessage:
    return build_message("down", DOWN_PAYLOAD, "https://status.example")


@pytest.fixture
async def client() -> AsyncIterator[HttpClient]:
    http = HttpClient(TargetPolicy(allow_private=True))
    await http.start()
    try:
        yield http
    finally:
        await http.close()


async def test_an_email_alert_has_a_clear_subject_text_and_html_parts_and_a_link(
    settings: Settings, smtp_sink: SmtpSink
) -> None:
    await EmailChannel(Mailer(settings), smtp_configured=True).send(
        down_message(), {"to": ["ops@example.com"]}, KEY
    )
    (mail,) = await smtp_sink.wait_for(1)
    assert mail["Subject"] == "[DOWN] Checkout API — 503 Service Unavailable"
    assert mail["To"] == "ops@example.com"
    # The delivery's id at our own host (the test settings' base URL): the same on every try.
    assert mail["Message-ID"] == f"<{KEY}@testserver>"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None
    assert html is not None
    plain = text.get_content()
    assert "Checkout API is down: expected 200-299, got 503 Service Unavailable." in plain
    assert "Started: 2026-03-01 12:00:00 UTC" in plain
    assert "https://status.example/monitors/5d0c" in plain
    assert 'href="https://status.example/monitors/5d0c"' in html.get_content()


async def test_a_recovery_email_gives_the_downtime(settings: Settings, smtp_sink: SmtpSink) -> None:
    payload = {**DOWN_PAYLOAD, "event": "up", "status": "up", "downtime_seconds": 754.0}
    payload["occurred_at"] = "2026-03-01T12:12:34Z"
    await EmailChannel(Mailer(settings), smtp_configured=True).send(
        build_message("up", payload, "https://status.example"), {"to": ["ops@example.com"]}, "k-2"
    )
    (mail,) = await smtp_sink.wait_for(1)
    assert mail["Subject"] == "[UP] Checkout API — back up after 12 min"
    assert "Downtime: 12 min" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_email_without_smtp_configured_is_written_to_the_log_and_counts_as_delivered(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    without_smtp = settings.model_copy(update={"smtp_host": None})
    with caplog.at_level(logging.WARNING, logger="statusping.mail"):
        await EmailChannel(Mailer(without_smtp), smtp_configured=False).send(
            down_message(), {"to": ["a@example.com"]}, KEY
        )
    assert "To: a@example.com" in caplog.text
    assert "Checkout API" in caplog.text


async def test_a_webhook_posts_the_json_payload_signed_with_the_secret(
    client: HttpClient, receiver: Receiver
) -> None:
    config = {"url": receiver.url(), "secret": "s3cret-shared-key", "headers": {"X-Team": "ops"}}
    await WebhookChannel(client).send(down_message(), config, KEY)
    (request,) = await receiver.wait_for(1)
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Team"] == "ops"
    assert request.headers["X-StatusPing-Event"] == "down"
    assert request.headers["Idempotency-Key"] == request.headers["X-StatusPing-Delivery"] == KEY
    expected = "sha256=" + hmac.new(b"s3cret-shared-key", request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-StatusPing-Signature"], expected)
    body = request.json()
    assert body["event"] == "down"
    assert body["subject"] == "[DOWN] Checkout API — 503 Service Unavailable"
    assert body["monitor"]["url"] == "https://status.example/monitors/5d0c"


@pytest.mark.parametrize(
    ("status", "permanent"), [(404, True), (410, True), (400, True), (500, False), (503, False), (429, False)]
)
async def test_a_webhook_error_is_permanent_for_a_gone_hook_and_retried_for_server_trouble(
    client: HttpClient, receiver: Receiver, status: int, permanent: bool
) -> None:
    receiver.statuses = [status]
    with pytest.raises(DeliveryError) as caught:
        await WebhookChannel(client).send(down_message(), {"url": receiver.url(), "headers": {}}, KEY)
    assert caught.value.permanent is permanent
    assert f"HTTP {status}" in caught.value.message


async def test_a_webhook_to_a_private_address_is_refused_in_saas_mode_at_connect(receiver: Receiver) -> None:
    saas = HttpClient(TargetPolicy(allow_private=False))
    await saas.start()
    try:
        with pytest.raises(DeliveryError) as caught:
            await WebhookChannel(saas).send(down_message(), {"url": receiver.url(), "headers": {}}, KEY)
    finally:
        await saas.close()
    assert caught.value.permanent
    assert "loopback" in caught.value.message
    assert receiver.requests == []


async def test_apprise_delivers_through_its_json_service_to_a_real_receiver(receiver: Receiver) -> None:
    url = f"json://127.0.0.1:{receiver.port}/apprise"
    await AppriseChannel(TargetPolicy(allow_private=True)).send(down_message(), {"url": url}, KEY)
    (request,) = await receiver.wait_for(1)
    assert request.path == "/apprise"
    body = request.json()
    assert body["title"] == "[DOWN] Checkout API — 503 Service Unavailable"
    assert "expected 200-299, got 503" in body["message"]
    assert body["type"] == "failure"
    assert request.headers["Idempotency-Key"] == KEY  # json:// sends custom headers; we add ours


async def test_apprise_gives_up_at_once_on_a_404_and_retries_a_500(receiver: Receiver) -> None:
    url = f"json://127.0.0.1:{receiver.port}/apprise"
    receiver.statuses = [404, 500]
    with pytest.raises(DeliveryError) as gone:
        await AppriseChannel(TargetPolicy(allow_private=True)).send(down_message(), {"url": url}, KEY)
    assert gone.value.permanent
    with pytest.raises(DeliveryError) as busy:
        await AppriseChannel(TargetPolicy(allow_private=True)).send(down_message(), {"url": url}, KEY)
    assert not busy.value.permanent
