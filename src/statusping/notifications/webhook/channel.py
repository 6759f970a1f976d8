"""POSTs the event as JSON, signed with HMAC-SHA256 of the exact body (docs/webhooks.md)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from statusping.domain.checks import ErrorKind
from statusping.domain.messages import AlertMessage
from statusping.notifications.base import DeliveryError, http_status_error
from statusping.outbound.http import FetchError, HttpClient, HttpRequest

TIMEOUT_SECONDS = 10.0
SIGNATURE_HEADER = "X-StatusPing-Signature"
EVENT_HEADER = "X-StatusPing-Event"
# The delivery's id, the same on every try: a receiver that has seen it may drop the request.
# ``Idempotency-Key`` is the name the IETF draft and most payment APIs use; ours says the same.
DELIVERY_HEADER = "X-StatusPing-Delivery"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(message: AlertMessage) -> bytes:
    return json.dumps(message.body, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookChannel:
    def __init__(self, client: HttpClient) -> None:
        # The engine's client: the same SSRF guard (per connect), timeouts and URL rules as checks.
        self._client = client

    async def send(self, message: AlertMessage, config: dict[str, Any], key: str) -> None:
        body = encode(message)
        headers = {
            **config.get("headers", {}),
            "Content-Type": "application/json",
            EVENT_HEADER: message.event,
            DELIVERY_HEADER: key,
            IDEMPOTENCY_HEADER: key,
        }
        if config.get("secret"):
            headers[SIGNATURE_HEADER] = signature(config["secret"], body)
        request = HttpRequest("POST", config["url"], headers=headers, body=body, follow_redirects=False)
        try:
            async with self._client.fetch(request, timeout_seconds=TIMEOUT_SECONDS) as fetched:
                status, reason = fetched.response.status, fetched.response.reason
        except FetchError as exc:
            # A refused address or an unusable URL will not change by itself; the rest may.
            permanent = exc.kind is ErrorKind.SSRF_BLOCKED or exc.message.startswith(
                ("invalid URL", "unsupported URL scheme", "URL has no host")
            )
            raise DeliveryError(exc.message, permanent=permanent) from exc
        error = http_status_error(status, reason)
        if error is not None:
            raise error
