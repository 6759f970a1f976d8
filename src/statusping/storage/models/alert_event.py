from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, CreatedAt, UuidPk


class AlertEvent(UuidPk, CreatedAt, Base):
    """Something worth telling (an outage, a recovery…), written by the engine in the same
    transaction as the state change that caused it. ``payload`` is the documented webhook body
    minus what only the sender knows (links); see docs/webhooks.md."""

    __tablename__ = "alert_events"
    __table_args__ = (Index("ix_alert_events_monitor_id_created_at", "monitor_id", "created_at"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    # None for a channel's test message.
    monitor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
