from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.domain.latency import BUCKETS
from statusping.storage.models.base import Base

# One column per bucket of domain.latency's histogram: summing columns gives any window's
# percentiles without reading raw rows.
HISTOGRAM_COLUMNS = tuple(f"h{i:02d}" for i in range(BUCKETS))


class RollupColumns:
    """Aggregates of the checks of one monitor in one region over one hour or one day."""

    monitor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("monitors.id", ondelete="CASCADE"), primary_key=True
    )
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(primary_key=True)
    checks: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
    downtime_seconds: Mapped[float] = mapped_column(default=0.0)
    response_count: Mapped[int] = mapped_column(default=0)
    response_sum: Mapped[float] = mapped_column(default=0.0)
    response_min: Mapped[float | None]
    response_max: Mapped[float | None]
    dns_sum: Mapped[float] = mapped_column(default=0.0)
    dns_count: Mapped[int] = mapped_column(default=0)
    connect_sum: Mapped[float] = mapped_column(default=0.0)
    connect_count: Mapped[int] = mapped_column(default=0)
    tls_sum: Mapped[float] = mapped_column(default=0.0)
    tls_count: Mapped[int] = mapped_column(default=0)
    ttfb_sum: Mapped[float] = mapped_column(default=0.0)
    ttfb_count: Mapped[int] = mapped_column(default=0)
    # Latency histogram: h00 counts responses under 10 ms … h15 those of 5 s and more.
    h00: Mapped[int] = mapped_column(default=0)
    h01: Mapped[int] = mapped_column(default=0)
    h02: Mapped[int] = mapped_column(default=0)
    h03: Mapped[int] = mapped_column(default=0)
    h04: Mapped[int] = mapped_column(default=0)
    h05: Mapped[int] = mapped_column(default=0)
    h06: Mapped[int] = mapped_column(default=0)
    h07: Mapped[int] = mapped_column(default=0)
    h08: Mapped[int] = mapped_column(default=0)
    h09: Mapped[int] = mapped_column(default=0)
    h10: Mapped[int] = mapped_column(default=0)
    h11: Mapped[int] = mapped_column(default=0)
    h12: Mapped[int] = mapped_column(default=0)
    h13: Mapped[int] = mapped_column(default=0)
    h14: Mapped[int] = mapped_column(default=0)
    h15: Mapped[int] = mapped_column(default=0)


# On SQLite the primary key is the table (WITHOUT ROWID): each monitor's buckets are stored together,
# so a year's scan reads a few hundred pages instead of one page per bucket, and no separate key
# index is kept. PostgreSQL ignores the option.
class HourlyRollup(RollupColumns, Base):
    __tablename__ = "rollups_hourly"
    __table_args__ = ({"sqlite_with_rowid": False},)


class DailyRollup(RollupColumns, Base):
    __tablename__ = "rollups_daily"
    __table_args__ = ({"sqlite_with_rowid": False},)
