"""Raw check rows as plain columns, for charts: one narrow range scan of the monitor's rows, no ORM
objects (durations come back as float milliseconds or None, times as aware datetimes)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import CheckResult, Monitor

SERIES_COLUMNS = ("checked_at", "ok", "response_ms", "dns_ms", "connect_ms", "tls_ms", "ttfb_ms")


class SeriesRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def checks(
        self, monitor_id: uuid.UUID, start: datetime, end: datetime, *, limit: int
    ) -> Sequence[Any]:
        """Rows of ``SERIES_COLUMNS`` in [start, end), oldest first, at most ``limit`` (the newest)."""
        table = CheckResult.__table__
        newest = (
            select(*(table.c[name] for name in SERIES_COLUMNS))
            .where(
                table.c.monitor_num == select(Monitor.num).where(Monitor.id == monitor_id).scalar_subquery(),
                table.c.checked_at >= start,
                table.c.checked_at < end,
            )
            .order_by(table.c.checked_at.desc())
            .limit(limit)
            .subquery()
        )
        return (await self.db.execute(select(newest).order_by(newest.c.checked_at))).all()
