"""Sends an alert as a multipart email (plain text + HTML rendered from this folder's templates)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, select_autoescape

from statusping.domain.messages import AlertMessage
from statusping.mail import Email, Mailer
from statusping.notifications.base import DeliveryError

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    keep_trailing_newline=True,
)


def render(message: AlertMessage) -> Email:
    context = {"message": message}
    return Email(
        to=(),
        subject=message.subject,
        text=_TEMPLATES.get_template("alert.txt").render(context),
        html=_TEMPLATES.get_template("alert.html").render(context),
    )


class EmailChannel:
    def __init__(self, mailer: Mailer, *, smtp_configured: bool) -> None:
        self._mailer = mailer
        self._configured = smtp_configured

    async def send(self, message: AlertMessage, config: dict[str, Any], key: str) -> None:
        rendered = render(message)
        # Message-ID from the delivery's id: a retry is the same message, and mail systems (and
        # people's filters) drop or thread a second copy by it.
        email = Email(
            to=tuple(config["to"]),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=key,
        )
        if not self._configured:
            # Without SMTP every email goes to the log (README, PRODUCT.md §3), and that log line is
            # this alert's delivery: retrying for a day would only repeat it.
            await self._mailer.send(email)
            return
        try:
            await self._mailer.send(email)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"all recipients refused: {exc}", permanent=_all_permanent(exc)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx is the server's final word on this message; 4xx asks us to come back later.
            raise DeliveryError(f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500) from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"mail server unreachable: {exc or type(exc).__name__}") from exc


def _all_permanent(exc: aiosmtplib.SMTPRecipientsRefused) -> bool:
    return all(r.code >= 500 for r in exc.recipients)
