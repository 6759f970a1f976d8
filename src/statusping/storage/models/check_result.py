from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base


class CheckResult(Base):
    """One check. Narrow on purpose: there are millions of these."""

    __tablename__ = "check_results"
    __table_args__ = (Index("ix_check_results_monitor_id_checked_at", "monitor_id", "checked_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    monitor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    checked_at: Mapped[datetime]
    region: Mapped[str] = mapped_column(String(32))
    ok: Mapped[bool]
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    response_ms: Mapped[float | None]
    dns_ms: Mapped[float | None]
    connect_ms: Mapped[float | None]
    tls_ms: Mapped[float | None]
    ttfb_ms: Mapped[float | None]
    error_kind: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(String(300))
