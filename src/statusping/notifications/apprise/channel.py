"""Sends an alert through Apprise (in a thread: Apprise's plugins block)."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from statusping.notifications.apprise.library import apprise
from statusping.notifications.base import DeliveryError, http_status_error
from statusping.notifications.message import AlertMessage

TIMEOUT_SECONDS = 30.0
# Apprise reports an HTTP failure only in its log, as "... error=404."
_HTTP_CODE = re.compile(r"error=(\d{3})\b")


def _notify(url: str, message: AlertMessage) -> tuple[bool, str]:
    sender = apprise.Apprise()
    if not sender.add(url):
        return False, "invalid Apprise URL"
    with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
        ok = sender.notify(title=message.subject, body=message.text, notify_type=message.severity)
        return bool(ok), str(captured.getvalue()).strip()


class AppriseChannel:
    async def send(self, message: AlertMessage, config: dict[str, Any]) -> None:
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                ok, log_text = await asyncio.to_thread(_notify, config["url"], message)
        except TimeoutError as exc:
            raise DeliveryError(f"no answer within {TIMEOUT_SECONDS:g} s") from exc
        if ok:
            return
        if log_text == "invalid Apprise URL":
            raise DeliveryError(log_text, permanent=True)
        detail = log_text.splitlines()[-1] if log_text else "Apprise could not deliver the message"
        match = _HTTP_CODE.search(log_text)
        status_error = http_status_error(int(match.group(1))) if match else None
        raise DeliveryError(detail[:300], permanent=bool(status_error and status_error.permanent))
