"""What a new account gets besides its user and organization, so it works before any setup.

Kept apart from ``services.accounts`` (who may sign up) and ``services.channels`` (channels under a
plan): this is the product's first-run promise — the first outage reaches the person who signed up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.services.accounts import Account
from statusping.storage.models import Channel

DEFAULT_CHANNEL_NAME = "Email to {email}"


async def welcome(db: AsyncSession, account: Account, *, now: datetime) -> Channel:
    """Give a freshly signed-up organization a default email channel to its owner.

    Email is included in every plan, and a default channel is attached to every monitor created
    without an explicit channel list, so alerts flow from the first monitor on.
    """
    email = account.user.email  # already normalized by signup
    channel = Channel(
        organization_id=account.organization.id,
        name=DEFAULT_CHANNEL_NAME.format(email=email)[:100],
        kind="email",
        config={"to": [email]},
        is_default=True,
        created_at=now,
        updated_at=now,
    )
    db.add(channel)
    await db.flush()
    return channel
