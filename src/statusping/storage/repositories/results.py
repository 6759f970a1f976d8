"""Check results in and out of their compact layout (see ``storage/models/check_result.py``).

Callers keep speaking of a result as the API shows it — a monitor id, a time, a region name,
optional floats — and this module turns that into integer keys and codes on the way in and back on
the way out.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import CheckError, CheckResult, Monitor, Region
from statusping.storage.types import EpochMillis

RESULTS: Table = CheckResult.__table__  # type: ignore[assignment]
ERRORS: Table = CheckError.__table__  # type: ignore[assignment]
REGIONS: Table = Region.__table__  # type: ignore[assignment]
MONITORS: Table = Monitor.__table__  # type: ignore[assignment]
_KEY = ("monitor_num", "checked_at", "region_num")
_VALUES = ("ok", "status_code", "response_ms", "dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "error_kind")
# PostgreSQL indexes results by monitor only (see the model), so a page is read a time window at a
# time, newest first, widening until it is full: a page of a busy monitor reads about one window.
_FIRST_WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class StoredResult:
    """One check result as the API and pages show it."""

    checked_at: datetime
    region: str
    ok: bool
    status_code: int | None
    response_ms: float | None
    dns_ms: float | None
    connect_ms: float | None
    tls_ms: float | None
    ttfb_ms: float | None
    error_kind: str | None
    error: str | None


class ResultsRepository:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    @property
    def _postgres(self) -> bool:
        return self.db.get_bind().dialect.name == "postgresql"

    # Regions ---------------------------------------------------------------------------------

    async def region_nums(self, names: set[str]) -> dict[str, int]:
        """The number of each region, adding the regions seen for the first time.

        Read per batch rather than cached per process: one indexed read of a tiny table, and never
        wrong after the table was emptied (as the test suite does between tests).
        """
        found = await self._regions(names)
        missing = names - found.keys()
        if missing:
            dialect_insert = pg_insert if self._postgres else sqlite_insert
            await self.db.execute(
                dialect_insert(REGIONS).on_conflict_do_nothing(index_elements=["name"]),
                [{"name": name} for name in sorted(missing)],
            )
            found = await self._regions(names)
        return found

    async def _regions(self, names: set[str]) -> dict[str, int]:
        rows = await self.db.execute(select(REGIONS.c.name, REGIONS.c.num).where(REGIONS.c.name.in_(names)))
        return {row[0]: row[1] for row in rows}

    async def region_names(self) -> dict[int, str]:
        rows = await self.db.execute(select(REGIONS.c.num, REGIONS.c.name))
        return {row[0]: row[1] for row in rows}

    # Writing ---------------------------------------------------------------------------------

    async def insert(self, results: Sequence[Mapping[str, Any]], nums: Mapping[uuid.UUID, int]) -> None:
        """Store results given as the API shows them (``monitor_id``, ``region`` name, ``error``).

        A second result of the same monitor, region and millisecond is dropped (SQLite's key refuses
        it; two checks of one monitor from one place in the same millisecond are one check twice).
        """
        if not results:
            return
        unnumbered = {r["monitor_id"] for r in results if nums.get(r["monitor_id"]) is None}
        if unnumbered:
            nums = {**nums, **await self._number(unnumbered)}
        regions = await self.region_nums({r["region"] for r in results})
        rows: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for result in results:
            row = {name: result[name] for name in _VALUES}
            row["monitor_num"] = nums[result["monitor_id"]]
            row["checked_at"] = result["checked_at"]
            row["region_num"] = regions[result["region"]]
            rows.append(row)
            if result.get("error"):
                errors.append({**{k: row[k] for k in _KEY}, "error": result["error"]})
        if self._postgres:
            await self.db.execute(insert(RESULTS), rows)
            if errors:
                await self.db.execute(pg_insert(ERRORS).on_conflict_do_nothing(), errors)
        else:
            await self.db.execute(sqlite_insert(RESULTS).on_conflict_do_nothing(), rows)
            if errors:
                await self.db.execute(sqlite_insert(ERRORS).on_conflict_do_nothing(), errors)

    async def _number(self, ids: set[uuid.UUID]) -> dict[uuid.UUID, int]:
        """Give monitors without a number one. Only a monitor inserted while the SQLite trigger was
        missing has none (a migration that rebuilds ``monitors`` on SQLite drops its triggers)."""
        monitors = MONITORS
        if self._postgres:
            value: Any = func.nextval("monitors_num_seq")
        else:
            value = select(func.coalesce(func.max(monitors.c.num), 0) + 1).scalar_subquery()
        for monitor_id in sorted(ids):
            await self.db.execute(
                update(monitors)
                .where(monitors.c.id == monitor_id, monitors.c.num.is_(None))
                .values(num=value)
            )
        rows = await self.db.execute(select(Monitor.id, Monitor.num).where(Monitor.id.in_(ids)))
        return {row[0]: row[1] for row in rows}

    # Reading ---------------------------------------------------------------------------------

    async def page(
        self,
        monitor_id: uuid.UUID,
        *,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
        region: str | None = None,
    ) -> list[StoredResult]:
        """Newest first; ``until`` is exclusive so the oldest time of a page pages back cleanly.
        ``region``: only that region's results (none for a region never seen)."""
        region_num: int | None = None
        if region is not None:
            found = await self._regions({region})
            if region not in found:
                return []
            region_num = found[region]
        monitor = (
            await self.db.execute(
                select(Monitor.num, Monitor.created_at, Monitor.last_checked_at).where(
                    Monitor.id == monitor_id
                )
            )
        ).one_or_none()
        if monitor is None or monitor.num is None:
            return []
        if not self._postgres:
            rows = await self._between(monitor.num, since, until, limit, region_num)
        else:
            # Results seldom predate their monitor: the windows stop a day before it was created, and
            # one last query takes anything older.
            floor = since if since is not None else monitor.created_at - timedelta(days=1)
            end = until
            if end is None:
                end = (monitor.last_checked_at or monitor.created_at) + timedelta(milliseconds=1)
            rows = []
            window = _FIRST_WINDOW
            upper = end
            while len(rows) < limit and upper > floor:
                lower = max(floor, upper - window)
                rows += await self._between(monitor.num, lower, upper, limit - len(rows), region_num)
                upper, window = lower, window * 2
            if len(rows) < limit and since is None:  # anything older than its monitor, in one go
                rows += await self._between(monitor.num, None, upper, limit - len(rows), region_num)
            if until is None:  # a check-now newer than last_checked_at cannot exist, but be exact
                newest = end if since is None else max(end, since)
                rows = await self._between(monitor.num, newest, None, limit, region_num) + rows
                rows = rows[:limit]
        names = await self.region_names()
        return [_stored(row, names) for row in rows]

    async def _between(
        self, num: int, since: datetime | None, until: datetime | None, limit: int, region: int | None = None
    ) -> list[Any]:
        r, e = RESULTS.c, ERRORS.c
        query = (
            select(r.checked_at, r.region_num, *(r[name] for name in _VALUES), e.error)
            .select_from(
                RESULTS.outerjoin(
                    ERRORS,
                    and_(
                        e.monitor_num == r.monitor_num,
                        e.checked_at == r.checked_at,
                        e.region_num == r.region_num,
                    ),
                )
            )
            .where(r.monitor_num == num)
        )
        if since is not None:
            query = query.where(r.checked_at >= since)
        if until is not None:
            query = query.where(r.checked_at < until)
        if region is not None:
            query = query.where(r.region_num == region)
        query = query.order_by(r.checked_at.desc(), r.region_num).limit(limit)
        return list((await self.db.execute(query)).all())


def _stored(row: Any, regions: Mapping[int, str]) -> StoredResult:
    return StoredResult(
        checked_at=row.checked_at,
        region=regions.get(row.region_num, str(row.region_num)),
        ok=row.ok,
        status_code=row.status_code,
        response_ms=row.response_ms,
        dns_ms=row.dns_ms,
        connect_ms=row.connect_ms,
        tls_ms=row.tls_ms,
        ttfb_ms=row.ttfb_ms,
        error_kind=row.error_kind,
        error=row.error,
    )


async def count_old(db: AsyncSession, nums: Sequence[int], before: datetime) -> int:
    """How many results of the monitors ``nums`` are older than ``before`` (one key range each)."""
    r = RESULTS.c
    query = select(func.count()).where(r.monitor_num.in_(nums), r.checked_at < before)
    return int(await db.scalar(query) or 0)


async def prune_monitors(db: AsyncSession, nums: Sequence[int], before: datetime) -> int:
    """Delete results (and error text) older than ``before`` of the monitors ``nums`` in one statement
    each: on SQLite one key range per monitor, on PostgreSQL what the dropped days left."""
    r, e = RESULTS.c, ERRORS.c
    await db.execute(delete(ERRORS).where(e.monitor_num.in_(nums), e.checked_at < before))
    result = await db.execute(delete(RESULTS).where(r.monitor_num.in_(nums), r.checked_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def prune_monitor(db: AsyncSession, num: int, before: datetime, *, limit: int) -> int:
    """Delete at most ``limit`` of one monitor's results older than ``before`` (and their error text).

    On SQLite a monitor's old rows are one range at the start of its part of the primary key; taking
    them ``limit`` at a time keeps each write transaction to milliseconds. Fewer than ``limit``
    deleted means the monitor is done.
    """
    r, e = RESULTS.c, ERRORS.c
    # The time of the (limit+1)-th oldest row: everything before it is the range to delete.
    nth = (
        select(r.checked_at)
        .where(r.monitor_num == num, r.checked_at < before)
        .order_by(r.checked_at)
        .offset(limit)
        .limit(1)
        .scalar_subquery()
    )
    bound = func.coalesce(nth, literal(before, EpochMillis()))
    await db.execute(delete(ERRORS).where(e.monitor_num == num, e.checked_at < bound))
    result = await db.execute(delete(RESULTS).where(r.monitor_num == num, r.checked_at < bound))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
