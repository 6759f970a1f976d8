"""Two-factor sign-in rules that need no storage: TOTP codes, recovery codes and their shapes.

TOTP is RFC 6238 as every authenticator app speaks it (SHA-1, 6 digits, 30 s steps), computed by
pyotp. A code is accepted one step either side of ``now`` (a phone's clock drifts, and a person
takes a few seconds to type), and only for a step later than the last one accepted: a code seen
over someone's shoulder, or replayed from a captured request, is worthless once used.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pyotp

from statusping.domain.errors import Forbidden, NotAuthenticated

RECOVERY_CODE_COUNT = 10
# 10 characters of base32 (50 bits), shown as two groups of five: enough that guessing one is
# hopeless under the log-in throttle, short enough to type from paper.
RECOVERY_CODE_LENGTH = 10
TOTP_DIGITS = 6
TOTP_STEP_SECONDS = 30
# Steps either side of now that still count.
TOTP_DRIFT_STEPS = 1
# How long the password step of a sign-in stays good while the person finds their phone.
PENDING_LOGIN_LIFETIME = timedelta(minutes=5)
ISSUER = "StatusPing"
ENROL_PATH = "/settings/security"
CODE_REQUIRED = "two-factor code required"
WRONG_CODE = "wrong or already used two-factor code"
_SEPARATORS = re.compile(r"[\s-]+")


class TwoFactorRequired(NotAuthenticated):
    """The password was right, and a second factor is still needed (or the one sent was wrong).

    The API answers it with ``two_factor_required: true`` so a client knows to ask for a code."""


class EnrolmentRequired(Forbidden):
    """The organization requires two-factor sign-in and this member has not set it up yet.

    The API answers 403; a page sends the person to ``ENROL_PATH`` instead."""

    def __init__(self) -> None:
        super().__init__(
            f"your organization requires two-factor sign-in: set it up at {ENROL_PATH} to continue"
        )


def normalize_code(code: str) -> str:
    """What a person typed, without the spaces and dashes apps and our recovery codes show."""
    return _SEPARATORS.sub("", code).upper()


def looks_like_totp(code: str) -> bool:
    return len(code) == TOTP_DIGITS and code.isdigit()


def looks_like_recovery_code(code: str) -> bool:
    return len(code) == RECOVERY_CODE_LENGTH and code.isalnum()


def format_recovery_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}".lower()


def provisioning_uri(secret: str, account_name: str, issuer: str = ISSUER) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def step_at(now: datetime) -> int:
    return int(now.timestamp()) // TOTP_STEP_SECONDS


def matching_step(secret: str, code: str, now: datetime, *, after_step: int | None) -> int | None:
    """The time step ``code`` belongs to, when it is valid at ``now`` and later than ``after_step``.

    Compared in constant time for each candidate step, so timing does not tell how close a guess was.
    """
    if not looks_like_totp(code):
        return None
    totp = pyotp.TOTP(secret)
    current = step_at(now)
    found = None
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        expected = totp.at(step * TOTP_STEP_SECONDS)
        if pyotp.utils.strings_equal(expected, code) and (after_step is None or step > after_step):
            found = step
    return found


def group_secret(secret: str) -> str:
    """The secret in groups of four, for typing into an app that cannot scan."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
