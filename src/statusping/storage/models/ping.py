from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, UuidPk


class Ping(UuidPk, Base):
    """One request to a heartbeat's ping URL, kept as the job's log (healthchecks' ping list).

    The check result records what the ping did to the monitor; this row keeps what the job sent
    (the first 10 KB of its body, who sent it, how long the run took), including ``/start`` and
    ``/log`` pings that change nothing. Only the newest ``KEEP_PINGS`` per monitor are kept.
    """

    __tablename__ = "pings"
    __table_args__ = (Index("ix_pings_monitor_id_received_at", "monitor_id", "received_at"),)

    monitor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    received_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(8))  # success | fail | start | log
    exit_status: Mapped[int | None]  # /ping/{token}/{exit_status}
    duration_ms: Mapped[float | None]  # since the run's /start
    method: Mapped[str] = mapped_column(String(8))
    body: Mapped[str | None] = mapped_column(Text)
    body_truncated: Mapped[bool] = mapped_column(default=False, server_default=false())
    user_agent: Mapped[str | None] = mapped_column(String(200))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
