"""Alert channels under the organization's plan, and which monitors alert which channels.

Config validation is the channel kind's own (notifications/<kind>/config.py), reached through the
``ChannelKinds`` port. No commits: the request's unit of work commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.errors import Forbidden, InvalidInput
from statusping.domain.monitors import clean_name
from statusping.domain.plans import PLANS
from statusping.services.monitors import Policy
from statusping.services.ports import ChannelKinds
from statusping.storage.models import Channel, Monitor, MonitorAlertState, Organization
from statusping.storage.repositories.accounts import AccountRepository
from statusping.storage.repositories.channels import ChannelRepository

MAX_CHANNELS = 100
MAX_REMINDER_MINUTES = 7 * 24 * 60


def check_kind_allowed(policy: Policy, org: Organization, kind: str) -> None:
    """403 naming the plan that lifts it (saas only; a self-hosted install allows every kind)."""
    plan = policy.plan_of(org)
    if plan is None or kind in plan.channels:
        return
    upgrade = next(
        (p for p in PLANS.values() if p.price_usd_month > plan.price_usd_month and kind in p.channels), None
    )
    hint = f"; the {upgrade.title} plan lifts it" if upgrade else ""
    raise Forbidden(f"{kind} channels are not included in the {plan.title} plan{hint}")


async def create_channel(
    db: AsyncSession,
    org: Organization,
    *,
    name: str,
    kind: str,
    config: dict[str, Any],
    is_default: bool,
    kinds: ChannelKinds,
    policy: Policy,
    now: datetime,
) -> Channel:
    check_kind_allowed(policy, org, kind)  # 403 before judging the config
    config = kinds.validate(kind, config, allow_private=policy.allow_private)
    repo = ChannelRepository(db)
    await AccountRepository(db).lock_organization(org.id)  # parallel creates count in turn
    if await repo.count(org.id) >= MAX_CHANNELS:
        raise Forbidden(f"an organization may have at most {MAX_CHANNELS} alert channels")
    channel = Channel(
        organization_id=org.id,
        name=clean_name(name),
        kind=kind,
        config=config,
        is_default=is_default,
        created_at=now,
        updated_at=now,
    )
    db.add(channel)
    await db.flush()
    return channel


async def update_channel(
    db: AsyncSession,
    channel: Channel,
    changes: dict[str, Any],
    *,
    kinds: ChannelKinds,
    policy: Policy,
    now: datetime,
) -> Channel:
    """Apply a PATCH (only the fields sent); the kind is fixed once created."""
    kind = changes.get("kind")
    if kind is not None and kind != channel.kind:
        raise InvalidInput("kind cannot be changed; create a new channel", field="kind")
    if changes.get("name") is not None:
        channel.name = clean_name(changes["name"])
    if changes.get("config") is not None:
        merged = kinds.merge(channel.kind, channel.config, changes["config"])
        channel.config = kinds.validate(channel.kind, merged, allow_private=policy.allow_private)
    if changes.get("is_default") is not None:
        channel.is_default = bool(changes["is_default"])
    channel.updated_at = now
    await db.flush()
    return channel


def _parse_ids(channel_ids: Sequence[str]) -> list[uuid.UUID]:
    ids: list[uuid.UUID] = []
    for raw in channel_ids:
        try:
            key = uuid.UUID(str(raw))
        except ValueError:
            raise InvalidInput(f"unknown channel id {raw!r}", field="channel_ids") from None
        if key not in ids:
            ids.append(key)
    return ids


async def set_monitor_channels(
    db: AsyncSession, org: Organization, monitor: Monitor, channel_ids: list[str]
) -> list[str]:
    """Make ``channel_ids`` the monitor's channels; every id must be one of the organization's."""
    ids = _parse_ids(channel_ids)
    repo = ChannelRepository(db)
    known = await repo.ids_in_org(org.id, ids)
    unknown = [str(i) for i in ids if i not in known]
    if unknown:
        raise InvalidInput(f"unknown channel id {unknown[0]!r}", field="channel_ids")
    await repo.replace_links(monitor.id, ids)
    return [str(i) for i in ids]


async def channel_ids_of(db: AsyncSession, monitor_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    links = await ChannelRepository(db).links_of(list(monitor_ids))
    return {monitor_id: [str(c) for c in channels] for monitor_id, channels in links.items()}


async def attach_default_channels(db: AsyncSession, org: Organization, monitor: Monitor) -> list[str]:
    """A new monitor alerts the organization's default channels until told otherwise."""
    repo = ChannelRepository(db)
    ids = await repo.default_ids(org.id)
    await repo.replace_links(monitor.id, ids)
    return [str(i) for i in ids]


async def reminder_minutes_of(db: AsyncSession, monitor: Monitor) -> int | None:
    state = await db.get(MonitorAlertState, monitor.id)
    return state.reminder_minutes if state is not None else None


async def set_reminder_minutes(db: AsyncSession, monitor: Monitor, minutes: int | None) -> int | None:
    """Repeat the down alert every ``minutes`` while the monitor stays down (None: never)."""
    if minutes is not None and not 5 <= minutes <= MAX_REMINDER_MINUTES:
        raise InvalidInput(
            f"reminder_minutes must be between 5 and {MAX_REMINDER_MINUTES}, or null",
            field="reminder_minutes",
        )
    state = await db.get(MonitorAlertState, monitor.id)
    if state is None:
        state = MonitorAlertState(monitor_id=monitor.id, tls_steps_sent=[], window_count=0, suppressed=0)
        db.add(state)
    state.reminder_minutes = minutes
    await db.flush()
    return minutes
