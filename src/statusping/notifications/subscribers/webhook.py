"""POSTs a status page notice to a webhook subscriber (services/subscribers.py: webhook subscribers).

The body is JSON::

    {"type": "subscription_confirmation" | "incident_created" | "incident_updated" |
             "incident_resolved" | "down" | "up" | "maintenance_scheduled" | "maintenance_started" |
             "maintenance_completed" | "maintenance_cancelled",
     "page": {"id", "slug", "title", "url"},
     "notice": {"kind", "subject", "text", "occurred_at", "component_ids", …},   (not in a confirmation)
     "unsubscribe_url": "…",                              (POST it to stop)
     "confirm_url": "…", "signing_secret": "…"}          (confirmation only: open the URL to start)

Every POST is signed like alert webhooks: ``X-StatusPing-Signature: sha256=<HMAC-SHA256 of the
body>`` under the ``signing_secret`` the confirmation carried (derived from the install's secret
key and the subscriber's id, so nothing is stored), and carries the delivery's id as
``Idempotency-Key`` / ``X-StatusPing-Delivery``, the same on every retry. Sent through the
engine's HTTP client: the SSRF guard refuses private addresses at every connect (unless the
install allows them), no redirects are followed, 10 s timeout; 2xx is delivered, 408/429/5xx
are retried by the outbox, other answers are permanent failures.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from statusping.config import Settings
from statusping.domain.checks import ErrorKind
from statusping.notifications.base import DeliveryError, http_status_error
from statusping.notifications.webhook.channel import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMEOUT_SECONDS,
    signature,
)
from statusping.outbound.http import FetchError, HttpClient, HttpRequest
from statusping.services.subscribers import CONFIRM_EVENT, link_token
from statusping.storage.repositories.outbox import Claimed

CONFIRMATION = "subscription_confirmation"


def signing_secret(secret_key: str, claimed: Claimed) -> str:
    assert claimed.subscriber_id is not None
    return link_token(secret_key, "webhook-signing", claimed.subscriber_id).partition(".")[2]


def body_of(claimed: Claimed, settings: Settings) -> dict[str, Any]:
    if claimed.subscriber_id is None:
        raise DeliveryError("the subscriber unsubscribed meanwhile", permanent=True)
    base = settings.base_url.rstrip("/")
    secret = settings.resolved_secret_key
    page: dict[str, Any] = claimed.payload["page"]
    page_url = f"{base}/s/{page['slug']}"

    def link(path: str, purpose: str) -> str:
        assert claimed.subscriber_id is not None
        return f"{page_url}/{path}?{urlencode({'token': link_token(secret, purpose, claimed.subscriber_id)})}"

    body: dict[str, Any] = {
        "page": {**page, "url": page_url},
        "unsubscribe_url": link("unsubscribe", "unsubscribe"),
    }
    if claimed.event_kind == CONFIRM_EVENT:
        body["type"] = CONFIRMATION
        body["confirm_url"] = link("subscribe/confirm", "confirm")
        body["signing_secret"] = signing_secret(secret, claimed)
    else:
        notice: dict[str, Any] = claimed.payload["notice"]
        body["type"] = notice["kind"]
        body["notice"] = notice
    return body


async def send(client: HttpClient, settings: Settings, claimed: Claimed) -> None:
    """POST the notice or raise ``DeliveryError`` (permanent for a refused address or a gone hook)."""
    if claimed.subscriber_webhook_url is None:
        raise DeliveryError("the subscriber unsubscribed meanwhile", permanent=True)
    data = body_of(claimed, settings)
    encoded = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        EVENT_HEADER: data["type"],
        SIGNATURE_HEADER: signature(signing_secret(settings.resolved_secret_key, claimed), encoded),
        # The same on every try of this delivery: a receiver can drop a repeat (at-least-once outbox).
        IDEMPOTENCY_HEADER: str(claimed.delivery_id),
        DELIVERY_HEADER: str(claimed.delivery_id),
    }
    request = HttpRequest(
        "POST", claimed.subscriber_webhook_url, headers=headers, body=encoded, follow_redirects=False
    )
    try:
        async with client.fetch(request, timeout_seconds=TIMEOUT_SECONDS) as fetched:
            status, reason = fetched.response.status, fetched.response.reason
    except FetchError as exc:
        permanent = exc.kind is ErrorKind.SSRF_BLOCKED or exc.message.startswith(
            ("invalid URL", "unsupported URL scheme", "URL has no host")
        )
        raise DeliveryError(exc.message, permanent=permanent) from exc
    error = http_status_error(status, reason)
    if error is not None:
        raise error
