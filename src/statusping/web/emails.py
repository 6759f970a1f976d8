"""Account emails (password reset, invitations). Alert emails belong to notifications/ and its outbox."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import BackgroundTasks

from statusping.config import Settings
from statusping.mail import Email, Mailer
from statusping.services.team import SentInvitation
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


def invitation_email(
    settings: Settings, token: str, *, org_name: str, invited_by: str, role: str, to: str
) -> Email:
    link = f"{settings.base_url}/invitations/{token}"
    access = "read-only access" if role == "viewer" else "admin access"
    text = (
        f"{invited_by} invited you to join {org_name} on StatusPing with {access}.\n\n"
        f"Accept here (the link works for seven days, once):\n{link}\n\n"
        "If you did not expect this, ignore this email; nothing happens unless you accept.\n"
    )
    return Email(to=(to,), subject=f"Join {org_name} on StatusPing", text=text)


async def send_invitation(mailer: Mailer, email: Email) -> None:
    try:
        await mailer.send(email)
    except Exception:
        # The invitation stays listed; whoever sent it can resend it from the team page.
        log.exception("could not send the invitation email to %s", ", ".join(email.to))


def queue_invitation(
    tasks: BackgroundTasks, mailer: Mailer, settings: Settings, sent: SentInvitation
) -> None:
    """Sent after the response's transaction committed, as password-reset mail is: a mail for an
    invitation that was rolled back must never go out."""
    email = invitation_email(
        settings,
        sent.token,
        org_name=sent.organization.name,
        invited_by=sent.invited_by,
        role=sent.invitation.role,
        to=sent.invitation.email,
    )
    tasks.add_task(send_invitation, mailer, email)
