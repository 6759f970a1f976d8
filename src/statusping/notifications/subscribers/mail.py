"""Builds and sends a status page subscriber's mail from an outbox delivery.

The links are made here, at send time, from the subscriber's id and the install's secret key
(services/subscribers.py ``link_token``); nothing secret is stored in the outbox. Every notice
carries ``List-Unsubscribe`` (RFC 2369) and ``List-Unsubscribe-Post`` (RFC 8058), so mail clients
offer their own one-click unsubscribe button, which POSTs to the same link.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, select_autoescape

from statusping.config import Settings
from statusping.mail import Email, Mailer
from statusping.notifications.base import DeliveryError
from statusping.services.subscribers import CONFIRM_EVENT, link_token
from statusping.storage.repositories.outbox import Claimed

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)


def _link(settings: Settings, slug: str, path: str, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/s/{slug}/{path}?{urlencode({'token': token})}"


def build(claimed: Claimed, settings: Settings) -> Email:
    if claimed.subscriber_id is None or claimed.subscriber_email is None:
        raise DeliveryError("the subscriber unsubscribed meanwhile", permanent=True)
    secret = settings.resolved_secret_key
    page: dict[str, Any] = claimed.payload["page"]
    notice: dict[str, Any] = claimed.payload["notice"]
    unsubscribe = _link(
        settings, page["slug"], "unsubscribe", link_token(secret, "unsubscribe", claimed.subscriber_id)
    )
    context = {
        "page": page,
        "notice": notice,
        "page_url": f"{settings.base_url.rstrip('/')}/s/{page['slug']}",
        "unsubscribe_url": unsubscribe,
        "confirm_url": _link(
            settings, page["slug"], "subscribe/confirm", link_token(secret, "confirm", claimed.subscriber_id)
        ),
    }
    name = "confirm" if claimed.event_kind == CONFIRM_EVENT else "notice"
    subject = (
        f"Confirm your subscription to {page['title']} status" if name == "confirm" else notice["subject"]
    )
    return Email(
        to=(claimed.subscriber_email,),
        subject=subject,
        text=_TEMPLATES.get_template(f"{name}.txt").render(context),
        html=_TEMPLATES.get_template(f"{name}.html").render(context),
        message_id=claimed.idempotency_key,  # the same on a retry: a mail system drops the copy
        headers=(
            ("List-Unsubscribe", f"<{unsubscribe}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("Auto-Submitted", "auto-generated"),
        ),
    )


async def send(mailer: Mailer, settings: Settings, claimed: Claimed) -> None:
    """Send or raise ``DeliveryError`` (permanent for a refused recipient, an SMTP 5xx, a subscriber
    who is gone)."""
    email = build(claimed, settings)
    try:
        await mailer.send(email)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        permanent = all(r.code >= 500 for r in exc.recipients)
        raise DeliveryError(f"recipient refused: {exc}", permanent=permanent) from exc
    except aiosmtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500) from exc
    except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"mail server unreachable: {exc or type(exc).__name__}") from exc
