"""The one way StatusPing sends email: SMTP when configured, otherwise the message goes to the log.

Logging instead of failing keeps a fresh install usable: a password-reset link still reaches the
operator's terminal before any mail server is set up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parseaddr
from urllib.parse import urlsplit

import aiosmtplib

from statusping.config import Settings

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 20

# Header lines are sent up to RFC 5322's hard limit of 998 characters. Folded at 78, a header
# value holding one long word (a List-Unsubscribe URL with its token) is turned into RFC 2047
# encoded-words, which mail clients do not decode in List-Unsubscribe: their unsubscribe button
# would vanish. Values with spaces are still folded at whitespace. aiosmtplib flattens an
# EmailMessage with its own 78-column policy, so ``send`` hands it the bytes this one makes. Bodies
# are built 7-bit (non-ASCII text quoted-printable or base64 in 76-column lines), so those bytes
# need no 8BITMIME from the server.
_BUILD_POLICY = default_policy.clone(cte_type="7bit")
_WIRE_POLICY = _BUILD_POLICY.clone(max_line_length=998, linesep="\r\n")


@dataclass(frozen=True, slots=True)
class Email:
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    # Extra header lines, e.g. List-Unsubscribe (RFC 2369) and List-Unsubscribe-Post (RFC 8058).
    headers: tuple[tuple[str, str], ...] = ()
    # The left part of a Message-ID that stays the same when this message is sent again (an
    # alert's delivery id): ``<message_id@host of base_url>``. None: the mail server makes one up.
    message_id: str | None = None


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def message_id_domain(self) -> str:
        """Our host name, so Message-IDs we make are ours alone (RFC 5322 §3.6.4)."""
        return urlsplit(self._settings.base_url).hostname or "statusping.invalid"

    def build(self, email: Email) -> EmailMessage:
        message = EmailMessage(policy=_BUILD_POLICY)
        message["From"] = self._settings.smtp_from
        message["To"] = ", ".join(email.to)
        message["Subject"] = email.subject
        if email.message_id is not None:
            message["Message-ID"] = f"<{email.message_id}@{self.message_id_domain}>"
        for name, value in email.headers:
            message[name] = value
        message.set_content(email.text)
        if email.html is not None:
            message.add_alternative(email.html, subtype="html")
        return message

    async def send(self, email: Email) -> None:
        """Send or log; raises ``aiosmtplib.SMTPException`` or ``OSError`` when delivery fails."""
        message = self.build(email)
        settings = self._settings
        if not settings.smtp_configured:
            log.warning(
                "SMTP is not configured (set STATUSPING_SMTP_HOST); email not sent:\n"
                "To: %s\nSubject: %s\n\n%s",
                message["To"],
                email.subject,
                email.text,
            )
            return
        await aiosmtplib.send(
            message.as_bytes(policy=_WIRE_POLICY),
            sender=parseaddr(settings.smtp_from)[1],
            recipients=list(email.to),
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            start_tls=settings.smtp_starttls,
            timeout=SMTP_TIMEOUT_SECONDS,
        )
