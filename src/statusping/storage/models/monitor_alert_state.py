from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base


class MonitorAlertState(Base):
    """A monitor's alerting settings and memory (see domain.alerts.AlertState), apart from the
    monitor row so the engine's hot path never loads it for checks that alert nobody."""

    __tablename__ = "monitor_alert_states"

    monitor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True
    )
    reminder_minutes: Mapped[int | None]
    last_down_alert_at: Mapped[datetime | None]
    tls_expires_at: Mapped[datetime | None]
    tls_steps_sent: Mapped[list[int]] = mapped_column(JSON, default=list)
    window_started_at: Mapped[datetime | None]
    window_count: Mapped[int] = mapped_column(default=0)
    suppressed: Mapped[int] = mapped_column(default=0)
    # The pending flap summary that held-back alerts are counted into.
    summary_event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("alert_events.id", ondelete="SET NULL")
    )
