from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base


class BillingEvent(Base):
    """A Stripe webhook event already processed: its id is the key, so a replay changes nothing."""

    __tablename__ = "billing_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    event_created_at: Mapped[datetime]
    received_at: Mapped[datetime]
    # What the event did ("plan pro", "ignored: older than the subscription's last event"…).
    outcome: Mapped[str] = mapped_column(String(200))
