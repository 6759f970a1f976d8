from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base


class MonitorPause(Base):
    """A span during which a monitor was paused: left out of its monitored time."""

    __tablename__ = "monitor_pauses"
    __table_args__ = (Index("ix_monitor_pauses_monitor_id_started_at", "monitor_id", "started_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    monitor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
