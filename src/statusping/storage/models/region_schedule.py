from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base


class RegionSchedule(Base):
    """One region's schedule, lease and own confirmation state for one monitor.

    Rows exist only while two or more regions are live (``services.regions.sync``): then each region
    claims its rows (``FOR UPDATE SKIP LOCKED`` per region) and the monitor row's own schedule is
    cleared. With one region there are none, and the engine runs exactly as it always did.
    """

    __tablename__ = "region_schedules"
    __table_args__ = (
        # A region's claim: its due rows in due order.
        Index("ix_region_schedules_region_next_check_at", "region", "next_check_at"),
    )

    monitor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True
    )
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_check_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    # The region's own confirmation (domain.quorum.RegionState).
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default=text("'pending'"))
    consecutive_failures: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    first_failure_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_checked_at: Mapped[datetime | None]
    last_response_ms: Mapped[float | None]
