"""What every channel is: something that sends a fully built ``AlertMessage`` and only does I/O."""

from __future__ import annotations

from typing import Any, Protocol

from statusping.domain.messages import AlertMessage


class DeliveryError(Exception):
    """A send that did not go through. ``permanent``: retrying cannot help (a 404 hook, a bad
    address), so the dispatcher stops at once instead of trying for a day."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Channel(Protocol):
    async def send(self, message: AlertMessage, config: dict[str, Any], key: str) -> None:
        """Deliver or raise ``DeliveryError``. ``key`` is the delivery's idempotency key: the same on
        every try of one delivery, so the receiver can tell a repeat (webhook ``Idempotency-Key``,
        email ``Message-ID``); a channel that has a way to pass it on must."""
        ...


def http_status_error(code: int, reason: str | None = None) -> DeliveryError | None:
    """How an HTTP answer from a hook counts: 2xx sent; 408, 429 and 5xx worth a retry; other 4xx
    (404 and 410 above all: the hook is gone) and stray redirects are permanent."""
    if 200 <= code < 300:
        return None
    text = f"HTTP {code} {reason}".strip() if reason else f"HTTP {code}"
    if code in (408, 429) or code >= 500:
        return DeliveryError(text)
    return DeliveryError(text, permanent=True)
