from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base

# The outcome of one try. ``sending`` is committed before the network call, so a dispatcher that
# dies mid-send leaves it behind; the next claim of the delivery turns it into ``unknown``: the
# receiver may have the message (the retry carries the same idempotency key, so it can tell).
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
UNKNOWN = "unknown"
ATTEMPT_STATUSES = (SENDING, SENT, FAILED, UNKNOWN)


class DeliveryAttempt(Base):
    """Every try of a delivery, kept for the notifications log, written before the send."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default=SENT, server_default=SENT)
    ok: Mapped[bool]
    permanent: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(String(500))
    # None until the try ends (and for ever when its sender died mid-send).
    duration_ms: Mapped[float | None]
