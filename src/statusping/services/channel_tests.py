"""Testing a channel: one real message now, reported at once and logged like any other delivery."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.alerts import EventKind
from statusping.services import rate_limits
from statusping.services.channels import check_kind_allowed
from statusping.services.monitors import Policy
from statusping.services.ports import ChannelSender, EndTransaction, SendResult
from statusping.storage.models import Channel, Delivery, Organization
from statusping.storage.repositories.outbox import OutboxRepository, Outcome


async def send_test_message(
    db: AsyncSession,
    org: Organization,
    channel: Channel,
    *,
    sender: ChannelSender,
    end_transaction: EndTransaction,
    policy: Policy,
    now: datetime,
) -> tuple[Delivery, SendResult]:
    """Send a test message through ``channel`` and log it in the outbox as one settled try.

    Limited per channel (``rate_limits.CHANNEL_TEST``). What the channel refuses (a private
    address in saas mode) it refuses before connecting, so the answer says as much, not how long
    a connection took.
    """
    check_kind_allowed(policy, org, channel.kind)
    key = [f"channel:{channel.id}"]
    await rate_limits.enforce(db, rate_limits.CHANNEL_TEST, key, now)
    await rate_limits.record(db, rate_limits.CHANNEL_TEST, key, now)
    payload = message_payload(org, channel, now)
    kind, config = channel.kind, dict(channel.config)
    await end_transaction()
    sent = await sender.send(kind, config, EventKind.TEST.value, payload)
    repo = OutboxRepository(db)
    _, (delivery,) = repo.add_event(
        organization_id=org.id,
        monitor_id=None,
        kind=EventKind.TEST.value,
        payload=payload,
        channel_ids=[channel.id],
        now=now,
    )
    done = datetime.now(UTC)
    # A test is one try, reported now; it is not queued for retries.
    delivery.status = "sent" if sent.ok else "failed"
    delivery.attempts = 1
    delivery.last_attempt_at = done
    delivery.last_error = None if sent.ok else (sent.error or "failed")[:500]
    delivery.duration_ms = sent.duration_ms
    delivery.next_attempt_at = None
    delivery.sent_at = done if sent.ok else None
    await db.flush()
    repo.add_attempt(delivery.id, Outcome(sent.ok, sent.error, sent.permanent, sent.duration_ms, done, None))
    return delivery, sent


def message_payload(org: Organization, channel: Channel, at: datetime) -> dict[str, Any]:
    return {
        "version": 1,
        "event": EventKind.TEST.value,
        "occurred_at": at.isoformat().replace("+00:00", "Z"),
        "monitor": None,
        "status": None,
        "cause": None,
        "channel": {"id": str(channel.id), "name": channel.name, "kind": channel.kind},
        "organization": {"id": str(org.id), "name": org.name},
    }
