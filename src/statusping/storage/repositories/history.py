"""Rollups, pauses, maintenance windows and the spans that uptime is computed from."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.intervals import Span
from statusping.storage.models import (
    CheckResult,
    DailyRollup,
    HourlyRollup,
    Incident,
    MonitorPause,
)
from statusping.storage.models.rollup import HISTOGRAM_COLUMNS

SUM_COLUMNS = (
    "checks", "failures", "downtime_seconds", "response_count", "response_sum",
    "dns_sum", "dns_count", "connect_sum", "connect_count", "tls_sum", "tls_count",
    "ttfb_sum", "ttfb_count", *HISTOGRAM_COLUMNS,
)  # fmt: skip
RESULTS_TABLE: Table = CheckResult.__table__  # type: ignore[assignment]
ROLLUP_TABLES: dict[str, Table] = {
    "hourly": HourlyRollup.__table__,  # type: ignore[dict-item]
    "daily": DailyRollup.__table__,  # type: ignore[dict-item]
}


class HistoryRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    @property
    def _dialect(self) -> str:
        return self.db.get_bind().dialect.name

    async def add_to_rollups(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        """Add each row's counts to its bucket, creating the bucket on first use (one upsert each)."""
        if not rows:
            return
        statement = _rollup_upsert(table, self._dialect)
        # Rows from domain.rollups.increments carry every column already: only the others are filled.
        full = [row if len(row) == _FULL_ROW_LENGTH else {**_ZERO_ROW, **row} for row in rows]
        await self.db.execute(statement, full)

    async def window_sums(
        self, monitor_id: uuid.UUID, start: datetime, end: datetime
    ) -> tuple[int, float, int]:
        """(checks, response_sum, response_count) over [start, end): whole days from the daily
        buckets, the partial days at either edge from the hourly ones — at most ~48 hourly rows and
        one daily row per day, instead of 24 hourly rows per day."""
        hourly, daily = ROLLUP_TABLES["hourly"], ROLLUP_TABLES["daily"]
        first_hour = start.replace(minute=0, second=0, microsecond=0)
        first_day = (start + _DAY - _TICK).replace(hour=0, minute=0, second=0, microsecond=0)
        last_day = end.replace(hour=0, minute=0, second=0, microsecond=0)
        if first_day >= last_day:
            first_day = last_day = end  # no whole day inside: hours only
        wanted = ("checks", "response_sum", "response_count")
        edges = select(*(hourly.c[n] for n in wanted)).where(
            hourly.c.monitor_id == monitor_id,
            ((hourly.c.bucket_start >= first_hour) & (hourly.c.bucket_start < first_day))
            | ((hourly.c.bucket_start >= last_day) & (hourly.c.bucket_start < end)),
        )
        middle = select(*(daily.c[n] for n in wanted)).where(
            daily.c.monitor_id == monitor_id,
            daily.c.bucket_start >= first_day,
            daily.c.bucket_start < last_day,
        )
        parts = edges.union_all(middle).subquery()
        row = (await self.db.execute(select(*(func.coalesce(func.sum(parts.c[n]), 0) for n in wanted)))).one()
        return int(row[0]), float(row[1]), int(row[2])

    async def rollup_rows(
        self, table: Table, monitor_id: uuid.UUID, start: datetime, end: datetime
    ) -> Sequence[Any]:
        """Bucket rows as plain tuples: ``bucket_start`` then ``VALUE_COLUMNS`` in order."""
        return (
            await self.db.execute(
                select(table.c.bucket_start, *(table.c[n] for n in VALUE_COLUMNS))
                .where(
                    table.c.monitor_id == monitor_id,
                    table.c.bucket_start >= start,
                    table.c.bucket_start < end,
                )
                .order_by(table.c.bucket_start)
            )
        ).all()

    async def outage_spans(
        self, monitor_id: uuid.UUID, start: datetime, end: datetime, now: datetime
    ) -> list[tuple[Span, Incident]]:
        incidents = await self.db.scalars(
            select(Incident).where(
                Incident.monitor_id == monitor_id,
                Incident.started_at < end,
                (Incident.resolved_at.is_(None)) | (Incident.resolved_at > start),
            )
        )
        return [((i.started_at, i.resolved_at or now), i) for i in incidents]

    async def pause_spans(
        self, monitor_id: uuid.UUID, start: datetime, end: datetime, now: datetime
    ) -> list[Span]:
        pauses = await self.db.scalars(
            select(MonitorPause).where(
                MonitorPause.monitor_id == monitor_id,
                MonitorPause.started_at < end,
                (MonitorPause.ended_at.is_(None)) | (MonitorPause.ended_at > start),
            )
        )
        return [(p.started_at, p.ended_at or now) for p in pauses]

    async def open_pause(self, monitor_id: uuid.UUID) -> MonitorPause | None:
        return await self.db.scalar(
            select(MonitorPause).where(MonitorPause.monitor_id == monitor_id, MonitorPause.ended_at.is_(None))
        )


_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)
# The aggregate columns in a fixed order, so rows can be summed as tuples (hot in the stats API).
VALUE_COLUMNS: tuple[str, ...] = (*SUM_COLUMNS, "response_min", "response_max")

_ZERO_ROW: dict[str, Any] = dict.fromkeys(SUM_COLUMNS, 0) | {
    "response_min": None,
    "response_max": None,
}
_FULL_ROW_LENGTH = len(_ZERO_ROW) + 3  # with monitor_id, region and bucket_start


@functools.cache
def _rollup_upsert(table: Table, dialect: str) -> Any:
    """The add-to-bucket upsert of ``table``, built once: the recorder runs it with every batch."""
    postgres = dialect == "postgresql"
    insert = pg_insert(table) if postgres else sqlite_insert(table)
    new = insert.excluded
    least, greatest = (func.least, func.greatest) if postgres else (func.min, func.max)
    current = table.c
    changes: dict[str, Any] = {name: current[name] + new[name] for name in SUM_COLUMNS}
    # COALESCE on both sides: SQLite's min(NULL, x) is NULL, and either side may be empty.
    changes["response_min"] = least(
        func.coalesce(current.response_min, new.response_min),
        func.coalesce(new.response_min, current.response_min),
    )
    changes["response_max"] = greatest(
        func.coalesce(current.response_max, new.response_max),
        func.coalesce(new.response_max, current.response_max),
    )
    return insert.on_conflict_do_update(
        index_elements=[current.monitor_id, current.region, current.bucket_start], set_=changes
    )
