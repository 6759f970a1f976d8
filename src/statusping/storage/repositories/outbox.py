"""The alert outbox: events, their deliveries to channels, every attempt, and per-monitor alert state.

The engine writes here inside its recording transaction; the dispatcher claims and settles rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import (
    AlertEvent,
    Channel,
    Delivery,
    DeliveryAttempt,
    Monitor,
    MonitorAlertState,
    MonitorChannel,
    Subscriber,
)
from statusping.storage.models.delivery_attempt import FAILED, SENDING, SENT, UNKNOWN

SENDER_DIED = "the dispatcher stopped during this try: the receiver may have the message"

SUBSCRIBER_KIND = "subscriber"  # the channel kind of a delivery to a status page subscriber


@dataclass(slots=True)
class AlertTargets:
    channel_ids: list[uuid.UUID]
    state: MonitorAlertState | None


@dataclass(frozen=True, slots=True)
class Claimed:
    """What sending one delivery needs, read in one query."""

    delivery_id: uuid.UUID
    attempts: int  # tries so far, this one included
    created_at: datetime
    event_id: uuid.UUID
    event_kind: str
    payload: dict[str, Any]
    channel_kind: str
    channel_config: dict[str, Any]
    monitor_status: str | None
    monitor_paused: bool | None
    # Set for a delivery to a status page subscriber (channel_kind "subscriber", config {}).
    subscriber_id: uuid.UUID | None = None
    subscriber_email: str | None = None
    subscriber_webhook_url: str | None = None  # a webhook subscriber: POST there instead of mail
    # The channel is kept but suspended by the organization's plan (services/plans.py): not sent.
    channel_suspended: bool = False
    # The ``sending`` attempt row the claim wrote; ``settle`` fills in how it ended.
    attempt_id: int = 0

    @property
    def idempotency_key(self) -> str:
        """The same on every try of this delivery (event × channel), so a receiver can de-duplicate."""
        return str(self.delivery_id)


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    error: str | None
    permanent: bool
    duration_ms: float
    attempted_at: datetime
    # Pending again at this time; None when settled (sent or failed).
    retry_at: datetime | None


class OutboxRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    # Engine side --------------------------------------------------------------------------------

    async def alert_targets(self, monitor_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, AlertTargets]:
        """Channels and alert state of the monitors that have channels, in one query."""
        rows = await self.db.execute(
            select(MonitorChannel.monitor_id, MonitorChannel.channel_id, MonitorAlertState)
            .outerjoin(MonitorAlertState, MonitorAlertState.monitor_id == MonitorChannel.monitor_id)
            .where(MonitorChannel.monitor_id.in_(sorted(set(monitor_ids))))
            .order_by(MonitorChannel.monitor_id, MonitorChannel.channel_id)
        )
        found: dict[uuid.UUID, AlertTargets] = {}
        for monitor_id, channel_id, state in rows:
            found.setdefault(monitor_id, AlertTargets([], state)).channel_ids.append(channel_id)
        return found

    def add_event(
        self,
        *,
        organization_id: uuid.UUID,
        monitor_id: uuid.UUID | None,
        kind: str,
        payload: dict[str, Any],
        channel_ids: Sequence[uuid.UUID],
        now: datetime,
        deliver_at: datetime | None = None,
    ) -> tuple[AlertEvent, list[Delivery]]:
        event = AlertEvent(
            id=uuid.uuid4(),
            organization_id=organization_id,
            monitor_id=monitor_id,
            kind=kind,
            payload=payload,
            created_at=now,
        )
        event.payload = {**payload, "event_id": str(event.id)}
        self.db.add(event)
        deliveries = [
            Delivery(
                id=uuid.uuid4(),
                organization_id=organization_id,
                event_id=event.id,
                channel_id=channel_id,
                status="pending",
                attempts=0,
                next_attempt_at=deliver_at or now,
                created_at=now,
            )
            for channel_id in channel_ids
        ]
        self.db.add_all(deliveries)
        return event, deliveries

    async def count_into_summary(self, event_id: uuid.UUID, held_back: int) -> None:
        event = await self.db.get(AlertEvent, event_id)
        if event is not None:
            flapping = {**event.payload.get("flapping", {}), "held_back": held_back}
            event.payload = {**event.payload, "flapping": flapping}

    # Dispatcher side ----------------------------------------------------------------------------

    async def claim_due(
        self,
        *,
        owner: str,
        now: datetime,
        limit: int,
        lease: timedelta,
        exclude: Collection[uuid.UUID] = (),
    ) -> list[Claimed]:
        """Lease up to ``limit`` due deliveries to ``owner`` and record an attempt of each as ``sending``.

        The attempt row commits with the claim, before any network call, so a dispatcher that dies
        mid-send leaves it behind; claiming such a delivery again marks that row ``unknown`` ("may
        have been sent"). The lease is short: the owner renews it (``renew``) while a send is in
        flight, so a dead owner's claim comes due again within one lease.

        ``FOR UPDATE SKIP LOCKED`` lets several dispatchers claim side by side on PostgreSQL; on
        SQLite the transaction holds the write lock from BEGIN. The UPDATE is a compare-and-set on
        the due condition all the same. ``exclude``: the owner's own sends in flight (a lease it
        failed to renew must not make it claim its own delivery twice).
        """
        query = (
            select(Delivery.id)
            .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
            # A claim whose owner died first (it still names that owner): it has waited a lease
            # already, and the rest of a backlog must not push it further back.
            .order_by(Delivery.lease_owner.is_(None), Delivery.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if exclude:
            query = query.where(Delivery.id.not_in(list(exclude)))
        ids = list(await self.db.scalars(query))
        if not ids:
            return []
        await self.db.execute(
            update(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_(ids), DeliveryAttempt.status == SENDING)
            .values(status=UNKNOWN, error=SENDER_DIED)
            .execution_options(synchronize_session=False)
        )
        claimed_ids = list(
            await self.db.scalars(
                update(Delivery)
                .where(Delivery.id.in_(ids), Delivery.status == "pending", Delivery.next_attempt_at <= now)
                .values(
                    lease_owner=owner,
                    next_attempt_at=now + lease,
                    attempts=Delivery.attempts + 1,
                    last_attempt_at=now,
                )
                .returning(Delivery.id)
                .execution_options(synchronize_session=False)
            )
        )
        if not claimed_ids:
            return []
        attempts = {
            delivery_id: DeliveryAttempt(
                delivery_id=delivery_id, attempted_at=now, status=SENDING, ok=False, permanent=False
            )
            for delivery_id in claimed_ids
        }
        self.db.add_all(attempts.values())
        await self.db.flush()
        rows = await self.db.execute(
            select(
                Delivery.id,
                Delivery.attempts,
                Delivery.created_at,
                AlertEvent.id,
                AlertEvent.kind,
                AlertEvent.payload,
                func.coalesce(Channel.kind, SUBSCRIBER_KIND),
                Channel.config,
                Monitor.status,
                Monitor.paused,
                Subscriber.id,
                Subscriber.email,
                Channel.suspended_by_plan,
                Subscriber.webhook_url,
            )
            .join(AlertEvent, AlertEvent.id == Delivery.event_id)
            .outerjoin(Channel, Channel.id == Delivery.channel_id)
            .outerjoin(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .outerjoin(Monitor, Monitor.id == AlertEvent.monitor_id)
            .where(Delivery.id.in_(claimed_ids))
        )
        return [
            Claimed(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] or {}, r[8], r[9],
                subscriber_id=r[10], subscriber_email=r[11], channel_suspended=bool(r[12]),
                subscriber_webhook_url=r[13], attempt_id=attempts[r[0]].id,
            )
            for r in rows
        ]  # fmt: skip

    async def renew(
        self, owner: str, delivery_ids: Collection[uuid.UUID], *, now: datetime, lease: timedelta
    ) -> int:
        """Extend ``owner``'s lease on its sends in flight; returns how many it still holds."""
        if not delivery_ids:
            return 0
        result = await self.db.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(list(delivery_ids)),
                Delivery.lease_owner == owner,
                Delivery.status == "pending",
            )
            .values(next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def settle(self, claimed: Claimed, owner: str, outcome: Outcome) -> bool:
        """Record how the attempt ended; False if the claim was lost meanwhile (its lease ran out
        and another dispatcher took the delivery, or it was deleted). The attempt row says what
        happened either way: it is this try's own record."""
        await self.db.execute(
            update(DeliveryAttempt)
            .where(DeliveryAttempt.id == claimed.attempt_id)
            .values(**_attempt_values(outcome))
            .execution_options(synchronize_session=False)
        )
        status = "sent" if outcome.ok else ("pending" if outcome.retry_at else "failed")
        result = await self.db.execute(
            update(Delivery)
            .where(Delivery.id == claimed.delivery_id, Delivery.lease_owner == owner)
            .values(
                status=status,
                last_attempt_at=outcome.attempted_at,
                last_error=None if outcome.ok else (outcome.error or "failed")[:500],
                duration_ms=round(outcome.duration_ms, 2),
                next_attempt_at=outcome.retry_at,
                sent_at=outcome.attempted_at if outcome.ok else None,
                lease_owner=None,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def add_attempt(self, delivery_id: uuid.UUID, outcome: Outcome) -> None:
        """A try that is over already (a channel test): recorded in one go."""
        self.db.add(
            DeliveryAttempt(
                delivery_id=delivery_id, attempted_at=outcome.attempted_at, **_attempt_values(outcome)
            )
        )

    # API side -----------------------------------------------------------------------------------

    async def list_for(
        self, org_id: uuid.UUID, *, limit: int, before: datetime | None = None
    ) -> Sequence[Any]:
        """Rows of (Delivery, AlertEvent, channel name, channel kind, tries that may have been sent)."""
        query = _logged().where(Delivery.organization_id == org_id)
        if before is not None:
            query = query.where(Delivery.created_at < before)
        query = query.order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit)
        return (await self.db.execute(query)).all()

    async def get(self, org_id: uuid.UUID, delivery_id: uuid.UUID) -> Any | None:
        query = _logged().where(Delivery.organization_id == org_id, Delivery.id == delivery_id)
        return (await self.db.execute(query)).first()

    async def attempts_of(self, delivery_id: uuid.UUID) -> Sequence[DeliveryAttempt]:
        return (
            await self.db.scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.delivery_id == delivery_id)
                .order_by(DeliveryAttempt.attempted_at, DeliveryAttempt.id)
            )
        ).all()


def _attempt_values(outcome: Outcome) -> dict[str, Any]:
    return {
        "status": SENT if outcome.ok else FAILED,
        "ok": outcome.ok,
        "permanent": outcome.permanent,
        "error": None if outcome.ok else (outcome.error or "failed")[:500],
        "duration_ms": round(outcome.duration_ms, 2),
    }


def _logged() -> Select[tuple[Delivery, AlertEvent, str, str, int]]:
    """A delivery as the log shows it, with how many more copies the receiver may have had: tries
    cut off mid-send (``unknown``), and a second ``sent`` (a peer took over a send whose lease ran
    out while the database was out of reach, and both went through)."""

    def tries(status: str) -> Any:
        return (
            select(func.count(DeliveryAttempt.id))
            .where(DeliveryAttempt.delivery_id == Delivery.id, DeliveryAttempt.status == status)
            .correlate(Delivery)
            .scalar_subquery()
        )

    sent = tries(SENT)
    maybe_sent = tries(UNKNOWN) + case((sent > 1, sent - 1), else_=0)
    return (
        select(Delivery, AlertEvent, Channel.name, Channel.kind, maybe_sent)
        .join(AlertEvent, AlertEvent.id == Delivery.event_id)
        .join(Channel, Channel.id == Delivery.channel_id)
    )
