from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, Sequence, String, Text, false, text, true
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, CreatedAt, UuidPk, utcnow


class Monitor(UuidPk, CreatedAt, Base):
    """A monitor: its settings, its current state, and its place in the schedule.

    State and schedule live on the row itself so that a worker claims, checks and updates one row;
    the engine never has to assemble a monitor from several tables on the hot path.
    """

    __tablename__ = "monitors"
    __table_args__ = (
        # The scheduler's one query: due monitors in due order. Paused monitors have no due time.
        Index("ix_monitors_next_check_at", "next_check_at"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(16))
    interval_seconds: Mapped[int]
    timeout_seconds: Mapped[float]
    failure_threshold: Mapped[int]
    retry_interval_seconds: Mapped[int]
    public: Mapped[bool] = mapped_column(default=False)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Regions that must confirm a failure before the monitor is down; None = a majority (domain.quorum).
    quorum: Mapped[int | None]
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    heartbeat_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # A small integer key that check results carry instead of the 16-byte id (migration 0023): from
    # a sequence on PostgreSQL, from a trigger on SQLite (max + 1; a deleted monitor's results go
    # with it, so a number used again names nobody else's history).
    num: Mapped[int] = mapped_column(
        Integer, Sequence("monitors_num_seq"), unique=True, index=True, nullable=True
    )
    # Latency above which consecutive successful checks mark the monitor degraded; None = off.
    degraded_ms: Mapped[int | None]
    # Whether entering and leaving degraded alerts the monitor's channels (down/up always do).
    degraded_alerts: Mapped[bool] = mapped_column(default=True, server_default=true())

    # State (see domain.status)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    paused: Mapped[bool] = mapped_column(default=False)
    # Paused by a downgrade's monitor limit (not by a person), so an upgrade resumes exactly these.
    paused_by_plan: Mapped[bool] = mapped_column(default=False, server_default=false())
    # What a downgrade lowered (interval_seconds, ssl_expiry_days), restored by an upgrade.
    plan_saved: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    # Slow checks in a row while up, fast ones while degraded (domain.status).
    latency_streak: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    first_failure_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_checked_at: Mapped[datetime | None]
    last_response_ms: Mapped[float | None]
    ssl_expires_at: Mapped[datetime | None]
    ssl_issuer: Mapped[str | None] = mapped_column(String(255))
    last_ping_at: Mapped[datetime | None]
    run_started_at: Mapped[datetime | None]

    # Schedule and lease (see engine.scheduler)
    next_check_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
