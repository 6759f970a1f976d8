"""Counting attempts per email and per client address, shared by every web node via the database."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.errors import RateLimited
from statusping.storage.repositories.rate_limits import RateLimitRepository


@dataclass(frozen=True, slots=True)
class Limit:
    scope: str
    max_attempts: int
    window: timedelta
    message: str


_LOGIN_MESSAGE = "Too many failed log-in attempts. Try again later."
# Failed log-ins are counted so that an attacker is slowed down but the owner is not locked out:
# - per (email, address) pair: one attacker's guesses at one account;
LOGIN = Limit("login", 10, timedelta(minutes=15), _LOGIN_MESSAGE)
# - per address, whatever the email: one address stuffing credentials into many accounts;
LOGIN_ADDRESS = Limit("login-ip", 30, timedelta(minutes=15), _LOGIN_MESSAGE)
# - per email from browsers never signed in to it: many addresses guessing one account. Looser, and
#   a browser holding that account's known-device cookie is exempt, so the owner still gets in;
LOGIN_EMAIL = Limit("login-email", 50, timedelta(minutes=15), _LOGIN_MESSAGE)
# - per known-device cookie: the only counter such a browser answers to.
LOGIN_DEVICE = Limit("login-device", 10, timedelta(minutes=15), _LOGIN_MESSAGE)
PASSWORD_RESET = Limit(
    "reset", 10, timedelta(minutes=15), "Too many password reset requests. Try again later."
)
# Every sign-up attempt from an address counts, refused or not: mass account creation, and probing
# which emails have accounts (409), both cost an attacker an hour per 20 tries.
SIGNUP = Limit("signup", 20, timedelta(hours=1), "Too many sign-ups from this address. Try again later.")
# Per user: changing the password checks the current one, which a stolen session must not turn
# into an unthrottled password oracle.
PASSWORD_CHANGE = Limit(
    "password-change", 10, timedelta(hours=1), "Too many password changes. Try again later."
)
# Per monitor / per channel: each check-now makes the target see a request and holds a web slot for
# up to the monitor's timeout; each channel test sends a real message. Enough for any debugging
# session, too few to turn StatusPing into someone's load generator or spam relay.
CHECK_NOW = Limit(
    "check-now", 30, timedelta(minutes=10), "Too many on-demand checks of this monitor. Try again later."
)
CHANNEL_TEST = Limit(
    "channel-test", 10, timedelta(minutes=10), "Too many test messages to this channel. Try again later."
)


def _digest(*parts: str) -> str:
    # Fixed length whatever the email's, and the table holds no address book.
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def login_checks(email: str, ip: str | None, device: str | None) -> list[tuple[Limit, str]]:
    """The counters one log-in attempt answers to (see the limits above)."""
    if device is not None:
        return [(LOGIN_DEVICE, f"device:{device}")]
    checks = [(LOGIN, f"pair:{_digest(email, ip or '')}"), (LOGIN_EMAIL, f"email:{_digest(email)}")]
    if ip:
        checks.append((LOGIN_ADDRESS, f"ip:{ip}"))
    return checks


def keys_for(email: str | None, ip: str | None) -> list[str]:
    return [k for k in (f"email:{email}" if email else None, f"ip:{ip}" if ip else None) if k]


async def enforce(db: AsyncSession, limit: Limit, keys: list[str], now: datetime) -> None:
    """Raise ``RateLimited`` when any key has used up its attempts inside the window."""
    await enforce_all(db, [(limit, key) for key in keys], now)


async def enforce_all(db: AsyncSession, checks: list[tuple[Limit, str]], now: datetime) -> None:
    """Raise ``RateLimited`` (with the seconds until a slot frees up) when any counter is full."""
    repo = RateLimitRepository(db)
    for limit, key in checks:
        since = now - limit.window
        if await repo.count_since(limit.scope, key, since) >= limit.max_attempts:
            oldest = await repo.oldest_since(limit.scope, key, since)
            retry = (oldest + limit.window - now).total_seconds() if oldest else 60
            raise RateLimited(limit.message, retry_after_seconds=max(1, math.ceil(retry)))


async def record(db: AsyncSession, limit: Limit, keys: list[str], now: datetime) -> None:
    await record_all(db, [(limit, key) for key in keys], now)


async def record_all(db: AsyncSession, checks: list[tuple[Limit, str]], now: datetime) -> None:
    repo = RateLimitRepository(db)
    for limit, key in checks:
        repo.record(limit.scope, key, now)
    # Old rows are worthless once outside their window; trimming here keeps the table tiny
    # without a separate job. Per scope: each limit has its own window.
    for limit in {limit for limit, _ in checks}:
        await repo.prune_before(limit.scope, now - 2 * limit.window)
