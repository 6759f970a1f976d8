"""The channels as the ``ChannelSender`` port services use for channel tests."""

from __future__ import annotations

import uuid
from typing import Any

from statusping.domain.messages import build_message
from statusping.notifications.base import Channel
from statusping.notifications.dispatcher import send_now
from statusping.services.ports import SendResult


class ChannelSenderAdapter:
    """Builds the message the dispatcher would, and tries it once through the channel."""

    def __init__(self, channels: dict[str, Channel], base_url: str) -> None:
        self.channels = channels
        self.base_url = base_url

    async def send(
        self, kind: str, config: dict[str, Any], event: str, payload: dict[str, Any]
    ) -> SendResult:
        message = build_message(event, payload, self.base_url)
        # A test is one try of its own, never retried: a fresh key.
        attempt = await send_now(self.channels, kind, config, message, str(uuid.uuid4()))
        return SendResult(attempt.ok, attempt.error, attempt.permanent, attempt.duration_ms)
