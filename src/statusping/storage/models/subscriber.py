from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, CreatedAt, UuidPk


class Subscriber(UuidPk, CreatedAt, Base):
    """Someone who asked a status page for email — or a webhook — about its incidents
    (services/subscribers.py).

    A webhook subscriber has ``webhook_url`` set and, in ``email``, the key ``webhook:<sha256 of the
    URL>``: never an address, but it keeps the column non-null (migration 0016 only adds columns)
    and makes the unique constraint refuse the same URL twice on one page.

    Unconfirmed until the emailed link is followed; unconfirmed rows expire. No token is stored:
    the confirm and unsubscribe links carry an HMAC of the row's id under the install's secret key.
    """

    __tablename__ = "status_page_subscribers"
    __table_args__ = (
        UniqueConstraint("status_page_id", "email"),
        # Pruning unconfirmed rows past their expiry.
        Index("ix_status_page_subscribers_confirmed_at_created_at", "confirmed_at", "created_at"),
    )

    status_page_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("status_pages.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    webhook_url: Mapped[str | None] = mapped_column(String(1000))
    confirmed_at: Mapped[datetime | None]
    # Monitor ids (the public component ids) this subscriber wants; None: every component.
    component_ids: Mapped[list[str] | None] = mapped_column(JSON)
