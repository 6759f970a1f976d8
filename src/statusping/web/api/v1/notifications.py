"""The notification log: every delivery, newest first, with its attempts (PRODUCT.md §4)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from statusping.domain.errors import InvalidInput, NotFound
from statusping.domain.messages import build_message
from statusping.storage.models import AlertEvent, Delivery
from statusping.storage.repositories.outbox import OutboxRepository
from statusping.web.api.types import SaneDatetime
from statusping.web.deps import CurrentAccount, Db, SettingsDep

router = APIRouter(prefix="/notifications", tags=["notifications"])
MAX_PAGE = 500


class ChannelRef(BaseModel):
    id: str
    name: str
    kind: str


class EventRef(BaseModel):
    id: str
    kind: str
    monitor_id: str | None
    subject: str
    payload: dict[str, Any]


class AttemptOut(BaseModel):
    attempted_at: datetime
    # sending: in flight now. unknown: its sender stopped mid-send, so the receiver may have it
    # (the retry carried the same idempotency key). sent / failed: how it ended.
    status: Literal["sending", "sent", "failed", "unknown"]
    ok: bool
    permanent: bool
    error: str | None
    duration_ms: float | None


class DeliveryOut(BaseModel):
    id: str
    status: str
    attempts: int
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    duration_ms: float | None
    sent_at: datetime | None
    created_at: datetime
    # The same on every try (webhook Idempotency-Key / X-StatusPing-Delivery, email Message-ID).
    idempotency_key: str
    # Copies beyond one the receiver may have had (each with the same idempotency key): tries cut
    # off mid-send by a crash or restart, and a second try that went through after a takeover.
    maybe_sent_attempts: int
    channel: ChannelRef
    event: EventRef
    attempt_log: list[AttemptOut] | None = None

    @classmethod
    def of(cls, row: Any, base_url: str) -> DeliveryOut:
        delivery: Delivery = row[0]
        event: AlertEvent = row[1]
        message = build_message(event.kind, event.payload, base_url)
        return cls(
            id=str(delivery.id),
            status=delivery.status,
            attempts=delivery.attempts,
            last_error=delivery.last_error,
            last_attempt_at=delivery.last_attempt_at,
            next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
            duration_ms=delivery.duration_ms,
            sent_at=delivery.sent_at,
            created_at=delivery.created_at,
            idempotency_key=str(delivery.id),
            maybe_sent_attempts=row[4] or 0,
            channel=ChannelRef(id=str(delivery.channel_id), name=row[2], kind=row[3]),
            event=EventRef(
                id=str(event.id),
                kind=event.kind,
                monitor_id=str(event.monitor_id) if event.monitor_id else None,
                subject=message.subject,
                payload=message.body,
            ),
        )


@router.get("")
async def list_notifications(
    account: CurrentAccount,
    db: Db,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    before: SaneDatetime | None = None,
) -> list[DeliveryOut]:
    """Newest first; pass the oldest ``created_at`` of a page as ``before`` to get the next one."""
    if before is not None and before.tzinfo is None:
        raise InvalidInput("before must carry a time zone, e.g. 2026-01-01T00:00:00Z", field="before")
    rows = await OutboxRepository(db).list_for(account.organization.id, limit=limit, before=before)
    return [DeliveryOut.of(row, settings.base_url) for row in rows]


@router.get("/{delivery_id}")
async def get_notification(
    delivery_id: str, account: CurrentAccount, db: Db, settings: SettingsDep
) -> DeliveryOut:
    try:
        key = uuid.UUID(delivery_id)
    except ValueError:
        raise NotFound("notification not found") from None
    repo = OutboxRepository(db)
    row = await repo.get(account.organization.id, key)
    if row is None:
        raise NotFound("notification not found")
    out = DeliveryOut.of(row, settings.base_url)
    out.attempt_log = [
        AttemptOut(
            attempted_at=a.attempted_at,
            status=a.status,
            ok=a.ok,
            permanent=a.permanent,
            error=a.error,
            duration_ms=a.duration_ms,
        )
        for a in await repo.attempts_of(key)
    ]
    return out
