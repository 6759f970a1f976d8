"""Counting attempts per email and per client address, shared by every web node via the database."""

from __future__ import annotations

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


LOGIN = Limit("login", 10, timedelta(minutes=15), "Too many failed log-in attempts. Try again later.")
PASSWORD_RESET = Limit(
    "reset", 10, timedelta(minutes=15), "Too many password reset requests. Try again later."
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


def keys_for(email: str | None, ip: str | None) -> list[str]:
    return [k for k in (f"email:{email}" if email else None, f"ip:{ip}" if ip else None) if k]


async def enforce(db: AsyncSession, limit: Limit, keys: list[str], now: datetime) -> None:
    """Raise ``RateLimited`` when any key has used up its attempts inside the window."""
    repo = RateLimitRepository(db)
    since = now - limit.window
    for key in keys:
        if await repo.count_since(limit.scope, key, since) >= limit.max_attempts:
            oldest = await repo.oldest_since(limit.scope, key, since)
            retry = (oldest + limit.window - now).total_seconds() if oldest else 60
            raise RateLimited(limit.message, retry_after_seconds=max(1, math.ceil(retry)))


async def record(db: AsyncSession, limit: Limit, keys: list[str], now: datetime) -> None:
    repo = RateLimitRepository(db)
    for key in keys:
        repo.record(limit.scope, key, now)
    # Old rows are worthless once outside every window; trimming here keeps the table tiny
    # without a separate job.
    await repo.prune_before(now - 2 * limit.window)
