from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, UuidPk


class Incident(UuidPk, Base):
    """A confirmed outage of one monitor, from its first failed check to the recovering check."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_monitor_id_started_at", "monitor_id", "started_at"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    monitor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    confirmed_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    cause: Mapped[str | None] = mapped_column(String(500))
