"""Account emails (password reset). Alert emails belong to notifications/ and its outbox."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from statusping.config import Settings
from statusping.mail import Email, Mailer
from statusping.storage.models import User

log = logging.getLogger(__name__)


def password_reset_email(settings: Settings, user: User, token: str) -> Email:
    link = f"{settings.base_url}/reset-password?{urlencode({'token': token})}"
    text = (
        "Someone asked to reset the password of your StatusPing account.\n\n"
        f"Choose a new password here (the link works for one hour, once):\n{link}\n\n"
        "If it was not you, ignore this email; your password stays as it is.\n"
    )
    return Email(to=(user.email,), subject="Reset your StatusPing password", text=text)


async def send_password_reset(mailer: Mailer, settings: Settings, user: User, token: str) -> None:
    try:
        await mailer.send(password_reset_email(settings, user, token))
    except Exception:
        # The user can ask again; a failed send must not surface as an error on an unrelated request.
        log.exception("could not send the password reset email to %s", user.email)
