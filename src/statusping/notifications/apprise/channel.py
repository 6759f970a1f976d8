"""Sends an alert through Apprise (in a thread: Apprise's plugins block)."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from apprise.plugins.base import NotifyBase
from apprise.plugins.custom_form import NotifyForm
from apprise.plugins.custom_json import NotifyJSON
from apprise.plugins.custom_xml import NotifyXML

from statusping.domain.messages import AlertMessage
from statusping.notifications.apprise import hosted
from statusping.notifications.apprise.library import apprise
from statusping.notifications.base import DeliveryError, http_status_error
from statusping.outbound.http import TargetPolicy

TIMEOUT_SECONDS = 30.0
# Apprise reports an HTTP failure only in its log, as "... error=404."
_HTTP_CODE = re.compile(r"error=(\d{3})\b")
# The plugins that POST to a server of the user's own with headers the URL may add (``+Name=value``):
# they carry the delivery's idempotency key as a webhook does. Apprise has no general way to pass
# one to a chat service (docs/alerting.md says so).
_WITH_HEADERS = (NotifyJSON, NotifyForm, NotifyXML)
IDEMPOTENCY_HEADER = "Idempotency-Key"
DELIVERY_HEADER = "X-StatusPing-Delivery"


def _notify(plugin: NotifyBase, message: AlertMessage, policy: TargetPolicy) -> tuple[bool, str, str | None]:
    """Send in Apprise's own (blocking) way; every connection it opens is checked by ``policy``."""
    sender = apprise.Apprise()
    sender.add(plugin)
    with (
        hosted.guarded(policy) as guard,
        apprise.LogCapture(level=logging.WARNING) as captured,  # type: ignore[no-untyped-call]
    ):
        ok = sender.notify(title=message.subject, body=message.text, notify_type=message.severity)
        return bool(ok), str(captured.getvalue()).strip(), guard.blocked


class AppriseChannel:
    def __init__(self, policy: TargetPolicy) -> None:
        self.policy = policy

    async def send(self, message: AlertMessage, config: dict[str, Any], key: str) -> None:
        plugin = apprise.Apprise.instantiate(config["url"])
        if plugin is None:
            raise DeliveryError("invalid Apprise URL", permanent=True)
        if isinstance(plugin, _WITH_HEADERS):
            plugin.headers.update({IDEMPOTENCY_HEADER: key, DELIVERY_HEADER: key})
        if not self.policy.allow_private:
            # Checked again at each send (a URL saved before the rule, or in self-hosted mode),
            # and before anything connects: a refused target costs no time to reveal.
            reason = hosted.refusal(plugin)
            if reason is not None:
                raise DeliveryError(f"refused: {reason}", permanent=True)
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                ok, log_text, blocked = await asyncio.to_thread(_notify, plugin, message, self.policy)
        except TimeoutError as exc:
            raise DeliveryError(f"no answer within {TIMEOUT_SECONDS:g} s") from exc
        if blocked is not None:
            raise DeliveryError(f"refused: {blocked}", permanent=True)
        if ok:
            return
        detail = log_text.splitlines()[-1] if log_text else "Apprise could not deliver the message"
        match = _HTTP_CODE.search(log_text)
        status_error = http_status_error(int(match.group(1))) if match else None
        raise DeliveryError(detail[:300], permanent=bool(status_error and status_error.permanent))
