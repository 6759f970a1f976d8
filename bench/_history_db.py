"""Filling a benchmark database with a year of history, checking it against the real write path, sizing it."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import make_url

from _engine_db import BenchDatabase
from _history_gen import (
    ERROR_COLUMNS,
    INCIDENT_COLUMNS,
    POSTGRES,
    RAW_COLUMNS,
    REGION,
    ROLLUP_COLUMNS,
    SQLITE,
    VALUE_COLUMNS,
    Encoder,
    History,
    MonitorSpec,
    Outage,
    collect,
    failure_outcomes,
    history,
    make_profile,
    rollups_from_results,
    success_outcomes,
    sum_values,
)
from statusping.domain.rollups import DAY, HOUR, floor_to
from statusping.services.recording import Observation, record, result_row
from statusping.storage import partitions
from statusping.storage.db import create_engine, create_sessionmaker
from statusping.storage.models import (
    CheckError,
    CheckResult,
    DailyRollup,
    HourlyRollup,
    Incident,
    Monitor,
    Organization,
    Region,
)

TABLES = {
    "check_results": RAW_COLUMNS,
    "check_errors": ERROR_COLUMNS,
    "rollups_hourly": ROLLUP_COLUMNS,
    "rollups_daily": ROLLUP_COLUMNS,
    "incidents": INCIDENT_COLUMNS,
}
HISTORY_DAYS = 365  # the business plan
RAW_DAYS = 7


@dataclass(frozen=True)
class Horizon:
    """The windows retention leaves at ``now`` (a whole hour; queries are asked at this moment)."""

    now: datetime

    @property
    def start(self) -> datetime:  # first whole day any kept daily bucket covers
        day = floor_to(self.daily_from, DAY)
        return day if day == self.daily_from else day + DAY

    @property
    def raw_from(self) -> datetime:  # RetentionRules.raw_cutoff
        return self.now - timedelta(days=RAW_DAYS)

    @property
    def hourly_from(
        self,
    ) -> datetime:  # history_cutoff − one bucket (retention keeps the bucket straddling it)
        return self.now - timedelta(days=HISTORY_DAYS) - HOUR

    @property
    def daily_from(self) -> datetime:
        return self.now - timedelta(days=HISTORY_DAYS) - DAY


async def prepare_monitors(db: BenchDatabase, *, created: datetime) -> tuple[uuid.UUID, list[MonitorSpec]]:
    """Put the seeded organization on the business plan and date its monitors a year and more back."""
    engine = create_engine(db.url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(update(Organization).values(plan="business"))
            await session.execute(update(Monitor).values(created_at=created))
            # The region the generator numbers 1, and the days of raw results their partitions.
            await session.execute(insert(Region).values(name=REGION))
            await partitions.ensure_partitions(
                session, (datetime.now(UTC) - timedelta(days=RAW_DAYS + 1)).date(), ahead=RAW_DAYS + 4
            )
            rows = (
                await session.execute(
                    select(
                        Monitor.id,
                        Monitor.num,
                        Monitor.organization_id,
                        Monitor.interval_seconds,
                        Monitor.timeout_seconds,
                        Monitor.failure_threshold,
                    ).order_by(Monitor.name)
                )
            ).all()
    finally:
        await engine.dispose()
    specs = [
        MonitorSpec(
            row.id,
            row.organization_id,
            seed,
            row.interval_seconds,
            row.timeout_seconds,
            row.failure_threshold,
            row.num,
        )
        for seed, row in enumerate(rows, start=1)
    ]
    return specs[0].organization_id, specs


# Writing rows ---------------------------------------------------------------------------------


class Writer:
    """Bulk inserts of encoded tuples; one implementation per driver."""

    enc: Encoder

    async def insert(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    async def commit(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class SqliteWriter(Writer):
    """The stdlib driver with ``executemany`` (aiosqlite would only add a thread hop per call)."""

    enc = SQLITE

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA synchronous=OFF")  # load only; the app runs with NORMAL
        self.conn.execute("PRAGMA cache_size=-1000000")
        self.conn.execute("BEGIN")
        self.sql = {
            name: f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"  # noqa: S608
            for name, cols in TABLES.items()
        }

    async def insert(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            self.conn.executemany(self.sql[table], rows)

    async def commit(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")

    async def close(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()


class PostgresWriter(Writer):
    """asyncpg, one ``INSERT … SELECT * FROM unnest($1::type[], …)`` per batch: no COPY, few round trips."""

    enc = POSTGRES

    def __init__(self, conn: asyncpg.Connection, types: dict[str, list[str]]) -> None:
        self.conn = conn
        self.sql = {
            name: f"INSERT INTO {name} ({', '.join(cols)}) SELECT * FROM unnest("  # noqa: S608
            + ", ".join(f"${i + 1}::{kind}[]" for i, kind in enumerate(types[name]))
            + ")"
            for name, cols in TABLES.items()
        }
        self.pending: asyncio.Task[Any] | None = None
        self.tx: Any = None

    @classmethod
    async def open(cls, url: str) -> PostgresWriter:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        await conn.execute("SET synchronous_commit = off")
        types: dict[str, list[str]] = {}
        for name, cols in TABLES.items():
            found = dict(
                await conn.fetch(
                    "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
                    name,
                )
            )
            types[name] = [found[c] for c in cols]
        writer = cls(conn, types)
        writer.tx = conn.transaction()
        await writer.tx.start()
        return writer

    async def insert(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        await self._settle()
        columns = [list(c) for c in zip(*rows, strict=True)]
        # Let the server work on this batch while the caller generates the next one.
        self.pending = asyncio.create_task(self.conn.execute(self.sql[table], *columns))
        await asyncio.sleep(0)

    async def _settle(self) -> None:
        if self.pending is not None:
            await self.pending
            self.pending = None

    async def commit(self) -> None:
        await self._settle()
        await self.tx.commit()
        self.tx = self.conn.transaction()
        await self.tx.start()

    async def close(self) -> None:
        await self._settle()
        await self.tx.commit()
        await self.conn.close()


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def open_writer(db: BenchDatabase) -> Writer:
    if db.kind == "sqlite":
        assert db.sqlite_file is not None
        return SqliteWriter(db.sqlite_file)
    return await PostgresWriter.open(db.url)


@dataclass
class FillStats:
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))


async def fill(
    db: BenchDatabase,
    specs: Sequence[MonitorSpec],
    horizon: Horizon,
    *,
    failure_rate: float,
    progress: Callable[[str], None] = print,
) -> FillStats:
    """A year of history for every monitor, written in time order (all monitors, hour by hour).

    Time order is what the engine produces, and it decides locality: one monitor's hourly buckets end
    up one per page, among the other monitors' buckets of the same hour, not packed together.
    """
    writer = await open_writer(db)
    stats = FillStats()
    started = time.monotonic()
    try:
        streams: list[History] = []
        for spec in specs:
            profile = make_profile(spec, writer.enc, failure_rate=failure_rate, at=horizon.now)
            stream = history(
                profile,
                writer.enc,
                start=horizon.start,
                end=horizon.now,
                raw_from=horizon.raw_from,
                hourly_from=horizon.hourly_from,
                daily_from=horizon.daily_from,
                failure_rate=failure_rate,
            )
            streams.append(stream)
        incidents = [row for s in streams for row in s.incidents]
        incidents.sort(key=lambda row: row[3])  # by started_at, as they were opened
        await writer.insert("incidents", incidents)
        stats.rows["incidents"] = len(incidents)
        hours = int((horizon.now - horizon.start) / HOUR)
        for index in range(hours):
            raw: list[tuple[Any, ...]] = []
            hourly: list[tuple[Any, ...]] = []
            daily: list[tuple[Any, ...]] = []
            for stream in streams:
                hour = next(stream.hours)
                raw += hour.raw
                if hour.hourly is not None:
                    hourly.append(hour.hourly)
                if hour.daily is not None:
                    daily.append(hour.daily)
            # The engine inserts a bucket at the hour's first check and results as they come.
            await writer.insert("rollups_hourly", hourly)
            if raw:
                raw.sort(key=lambda row: row[1])
                await writer.insert("check_results", [row[:-1] for row in raw])
                errors = [(*row[:3], row[-1]) for row in raw if row[-1]]
                await writer.insert("check_errors", errors)
                stats.rows["check_errors"] += len(errors)
            await writer.insert("rollups_daily", daily)
            stats.rows["check_results"] += len(raw)
            stats.rows["rollups_hourly"] += len(hourly)
            stats.rows["rollups_daily"] += len(daily)
            if index % 24 == 23 or index == hours - 1:
                await writer.commit()
            if index % (24 * 30) == 0 or index == hours - 1:
                elapsed = time.monotonic() - started
                progress(
                    f"  filled {index + 1:>5}/{hours} hours in {elapsed:.0f} s; rows so far {stats.rows}"
                )
    finally:
        await writer.close()
    stats.seconds = time.monotonic() - started
    return stats


# Equivalence with the real write path ---------------------------------------------------------


@dataclass
class Validation:
    observations: int
    recorded: dict[str, int]
    generated: dict[str, int]
    value_mismatches: list[str]
    shape_mismatches: list[str]
    signatures: dict[str, dict[str, list[str]]]

    @property
    def ok(self) -> bool:
        return not self.value_mismatches and not self.shape_mismatches


def _scenario(count: int, threshold: int) -> dict[int, str]:
    """Which observations fail: two single blips (a timeout, a 503) and one confirmed outage."""
    plan = {count // 6: "timeout", count // 3: "status"}
    outage = count // 2
    plan.update({outage + i: "timeout" for i in range(threshold + 4)})
    return plan


async def validate(
    db: BenchDatabase, recorded_spec: MonitorSpec, generated_spec: MonitorSpec, horizon: Horizon
) -> Validation:
    """Run ``recorder.record`` for one monitor, generate the same period for another, compare, clean up.

    Values: the recorder's hourly and daily buckets are recomputed from its own stored results and
    incident with the generator's arithmetic (``rollups_from_results``, daily = sum of hours) and must
    match. Shape: every column of every table must be filled the same way (SQLite: storage class and
    text layout; PostgreSQL: Python type of the decoded value, NULL or not).
    """
    hours = 3
    start = horizon.now - timedelta(hours=hours + 1)
    end = start + timedelta(hours=hours)
    per_hour = 3600 // recorded_spec.interval_s
    count = hours * per_hour
    engine = create_engine(db.url)
    sessionmaker = create_sessionmaker(engine)
    recorded_ids = [recorded_spec.monitor_id, generated_spec.monitor_id]
    try:
        # 1. The real write path, one observation per batch as the engine would.
        rng = random.Random(recorded_spec.seed)
        good = success_outcomes(rng, 64)
        bad = failure_outcomes(rng, recorded_spec.timeout_s)
        kinds = {"timeout": bad[0], "status": bad[3]}
        plan = _scenario(count, recorded_spec.failure_threshold)
        base = start + timedelta(microseconds=recorded_spec.phase_us)
        fed: list[dict[str, Any]] = []
        for k in range(count):
            outcome = kinds[plan[k]] if k in plan else good[k % len(good)]
            at = base + timedelta(
                seconds=k * recorded_spec.interval_s, milliseconds=(k * 7_777) % 200_000 // 1000
            )
            observation = Observation(recorded_spec.monitor_id, outcome, at)
            fed.append(result_row(observation, REGION))
            async with sessionmaker() as session, session.begin():
                await record(session, [observation], region=REGION)

        # 2. Values: recompute the recorder's buckets from its own results and incident.
        value_mismatches: list[str] = []
        async with sessionmaker() as session:
            # Buckets add up what was measured (float ms); results keep whole ms, so the recomputation
            # starts from the observations fed, and the stored results must be exactly as many.
            results = fed
            kept = await session.scalar(
                select(func.count())
                .select_from(CheckResult)
                .where(CheckResult.monitor_num == recorded_spec.num)
            )
            if kept != len(fed):
                value_mismatches.append(f"check_results: {kept} stored of {len(fed)} recorded")
            incidents = (
                await session.scalars(select(Incident).where(Incident.monitor_id == recorded_spec.monitor_id))
            ).all()
            stored: dict[str, list[tuple[Any, ...]]] = {}
            for name, model in (("hourly", HourlyRollup), ("daily", DailyRollup)):
                rollup = model.__table__
                found = await session.execute(
                    select(rollup)
                    .where(rollup.c.monitor_id == recorded_spec.monitor_id)
                    .order_by(rollup.c.bucket_start)
                )
                stored[name] = [tuple(r) for r in found]
        outages = [(i.started_at, i.resolved_at) for i in incidents if i.resolved_at is not None]
        if len(outages) != 1:
            value_mismatches.append(f"expected one resolved incident from the scenario, got {len(incidents)}")
        hourly = rollups_from_results(results, outages, HOUR)
        by_day: dict[datetime, list[tuple[Any, ...]]] = {}
        for row in hourly:
            by_day.setdefault(floor_to(row[2], DAY), []).append(row[3:])
        daily = [
            (recorded_spec.monitor_id, REGION, day, *sum_values(rows)) for day, rows in sorted(by_day.items())
        ]
        value_mismatches += _compare_values("rollups_hourly", stored["hourly"], hourly)
        value_mismatches += _compare_values("rollups_daily", stored["daily"], daily)

        # 3. Shape: the bulk path for another monitor over the same hours, with the same kind of events.
        writer = await open_writer(db)
        gen_profile = make_profile(generated_spec, writer.enc, failure_rate=0.01, at=start)
        outage_at = count // 2
        rows = collect(
            history(
                gen_profile,
                writer.enc,
                start=start,
                end=end,
                raw_from=start,
                hourly_from=start,
                daily_from=floor_to(start, DAY),
                failure_rate=0.01,
                outages=[Outage(outage_at, outage_at + generated_spec.failure_threshold + 4)],
            )
        )
        try:
            await writer.insert("incidents", rows.incidents)
            await writer.insert("rollups_hourly", rows.hourly)
            await writer.insert("check_results", [row[:-1] for row in rows.raw])
            await writer.insert("check_errors", [(*row[:3], row[-1]) for row in rows.raw if row[-1]])
            await writer.insert("rollups_daily", rows.daily)
        finally:
            await writer.close()
        signatures: dict[str, dict[str, list[str]]] = {}
        shape_mismatches: list[str] = []
        counts: dict[str, dict[str, int]] = {"recorded": {}, "generated": {}}
        for table, columns in TABLES.items():
            sig_recorded, n_recorded = await _signatures(db, table, columns, recorded_spec)
            sig_generated, n_generated = await _signatures(db, table, columns, generated_spec)
            counts["recorded"][table], counts["generated"][table] = n_recorded, n_generated
            for column in columns:
                a, b = sig_recorded[column], sig_generated[column]
                signatures.setdefault(table, {})[column] = sorted(a | b)
                if a != b:
                    shape_mismatches.append(
                        f"{table}.{column}: recorder {sorted(a)} vs generated {sorted(b)}"
                    )

        # 4. Leave no trace: the benchmark's own history starts empty.
        async with sessionmaker() as session, session.begin():
            nums = [recorded_spec.num, generated_spec.num]
            for keyed in (CheckResult.__table__, CheckError.__table__):
                await session.execute(delete(keyed).where(keyed.c.monitor_num.in_(nums)))  # type: ignore[attr-defined]
            for doomed in (
                HourlyRollup.__table__,
                DailyRollup.__table__,
                Incident.__table__,
            ):
                await session.execute(delete(doomed).where(doomed.c.monitor_id.in_(recorded_ids)))  # type: ignore[arg-type]
    finally:
        await engine.dispose()
    return Validation(
        count, counts["recorded"], counts["generated"], value_mismatches, shape_mismatches, signatures
    )


def _compare_values(table: str, stored: list[tuple[Any, ...]], computed: list[tuple[Any, ...]]) -> list[str]:
    if len(stored) != len(computed):
        return [f"{table}: recorder wrote {len(stored)} buckets, recomputed {len(computed)}"]
    problems = []
    for got, want in zip(stored, computed, strict=True):
        if tuple(got[:3]) != tuple(want[:3]):
            problems.append(f"{table}: bucket key {got[:3]} vs {want[:3]}")
            continue
        for name, a, b in zip(VALUE_COLUMNS, got[3:], want[3:], strict=True):
            same = (
                a == b
                if a is None or b is None
                else abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))
            )
            if not same:
                problems.append(f"{table} {got[2]:%Y-%m-%d %H:%M} {name}: recorder {a!r}, recomputed {b!r}")
    return problems


_HEX = re.compile(r"[0-9a-f]")


def _shape(kind: str, column: str, value: Any) -> str:
    """A value's storage class plus, for keys and times, its layout (digits and hex as 9/x)."""
    if value is None:
        return "null"
    if kind == "sqlite":
        storage = {int: "integer", float: "real", str: "text", bytes: "blob"}[type(value)]
        if storage != "text":
            return storage
        if column.endswith("id"):
            return "text:" + _HEX.sub("x", value)  # uuid hex: 32 × x
        if column.endswith("_at") or column == "bucket_start":
            return "text:" + re.sub(r"[0-9]", "9", value)  # 9999-99-99 99:99:99.999999
        return storage
    return type(value).__name__


async def _signatures(
    db: BenchDatabase, table: str, columns: Sequence[str], spec: MonitorSpec
) -> tuple[dict[str, set[str]], int]:
    """Per column, the set of value shapes this monitor's rows hold, read through the bare driver."""
    found: dict[str, set[str]] = {c: set() for c in columns}
    by_num = "monitor_num" in columns
    key: Any = spec.num if by_num else spec.monitor_id
    where = "monitor_num" if by_num else "monitor_id"
    query = f"SELECT {', '.join(columns)} FROM {table} WHERE {where} = "  # noqa: S608 (our constants)
    if db.kind == "sqlite":
        assert db.sqlite_file is not None
        with contextlib.closing(sqlite3.connect(db.sqlite_file)) as conn:
            rows = conn.execute(query + "?", (key if by_num else key.hex,)).fetchall()
    else:
        conn = await asyncpg.connect(asyncpg_dsn(db.url))
        try:
            rows = await conn.fetch(query + "$1", key)
        finally:
            await conn.close()
    for row in rows:
        for column, value in zip(columns, tuple(row), strict=True):
            found[column].add(_shape(db.kind, column, value))
    return found, len(rows)


# Sizes ----------------------------------------------------------------------------------------


@dataclass
class Sizes:
    tables: dict[str, int]  # bytes per table including its indexes
    total: int  # the whole database (SQLite file after checkpoint; PostgreSQL pg_database_size)
    detail: dict[str, int] = field(default_factory=dict)  # per table and index

    @property
    def raw(self) -> int:
        return self.tables["check_results"] + self.tables["check_errors"]

    @property
    def rollups(self) -> int:
        return self.tables["rollups_hourly"] + self.tables["rollups_daily"]


def sqlite_sizes(path: Path, *, vacuum: bool) -> Sizes:
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if vacuum:
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        owner = dict(
            conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')")
        )
        detail = dict(conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        page = conn.execute("PRAGMA page_size").fetchone()[0]
    tables = dict.fromkeys(TABLES, 0)
    for name, size in detail.items():
        table = owner.get(name, name)
        if table in tables:
            tables[table] += int(size)
    detail["(free pages)"] = int(free) * int(page)
    return Sizes(tables, path.stat().st_size, {k: int(v) for k, v in detail.items()})


PARTITIONS = (
    "SELECT c.relname FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = $1::regclass"
)


async def postgres_sizes(url: str) -> Sizes:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for table in TABLES:
            await conn.execute(f"VACUUM (ANALYZE) {table}")
        # A partitioned table holds nothing itself: its size is its partitions' (with their indexes).
        parts: dict[str, list[str]] = {}
        for table in TABLES:
            children = [row[0] for row in await conn.fetch(PARTITIONS, table)]
            parts[table] = [table, *children]
        tables: dict[str, int] = {}
        detail: dict[str, int] = {}
        for table, names in parts.items():
            tables[table] = detail[f"{table} (heap)"] = 0
            for part in names:
                tables[table] += int(await conn.fetchval("SELECT pg_total_relation_size($1::regclass)", part))
                detail[f"{table} (heap)"] += int(
                    await conn.fetchval("SELECT pg_relation_size($1::regclass)", part)
                )
                for name, size in await conn.fetch(
                    "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
                    "WHERE indrelid = $1::regclass",
                    part,
                ):
                    detail[name] = int(size)
        total = int(await conn.fetchval("SELECT pg_database_size(current_database())"))
    finally:
        await conn.close()
    return Sizes(tables, total, detail)
