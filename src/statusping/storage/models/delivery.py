from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, CreatedAt, UuidPk


class Delivery(UuidPk, CreatedAt, Base):
    """One event to one channel: the dispatcher's outbox row."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # The dispatcher's one query: pending deliveries in due order.
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        # GET /api/v1/notifications: newest first per organization.
        Index("ix_deliveries_organization_id_created_at", "organization_id", "created_at"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_events.id", ondelete="CASCADE"), index=True)
    # A delivery goes to a channel (an alert) or to a status page subscriber (a page notice).
    channel_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    subscriber_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("status_page_subscribers.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(default=0)  # tries started (counted at the claim)
    # While pending: when to try next. A claim pushes it one short lease ahead and the live owner
    # keeps renewing it while the send is in flight, so a crashed dispatcher's claim comes due again
    # within a lease (the message may go out twice, never zero times; its id is the receiver's
    # idempotency key, and the cut-off try stays in delivery_attempts as "unknown").
    next_attempt_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[float | None]
    sent_at: Mapped[datetime | None]
