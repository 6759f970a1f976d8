from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, utcnow


class BillingAccount(Base):
    """An organization's Stripe customer and the last state of its subscription that we applied.

    Kept apart from ``organizations`` because only billed organizations have one, and because the
    webhook rules (domain/billing.py) compare against it to ignore late and replayed events.
    """

    __tablename__ = "billing_accounts"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    subscription_id: Mapped[str | None] = mapped_column(String(255))
    subscription_status: Mapped[str | None] = mapped_column(String(32))
    subscribed_plan: Mapped[str | None] = mapped_column(String(20))
    subscription_created_at: Mapped[datetime | None]
    # The creation time of the last event applied: an older event is not news.
    state_at: Mapped[datetime | None]
    # When the current run of failed payments began; the grace period counts from here.
    past_due_since: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
