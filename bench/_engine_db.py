"""A fresh benchmark database: created, migrated, seeded with monitors in steady state, measured, dropped."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sqlite3
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from statusping.domain.schedule import next_slot
from statusping.services.monitors import Policy, create_monitor
from statusping.storage.db import create_engine, create_sessionmaker
from statusping.storage.migrate import upgrade
from statusping.storage.models import Monitor, Organization

SELFHOSTED = Policy(enforce_plans=False, allow_private=True, min_interval_seconds=1)
INSERT_CHUNK = 1000


@dataclass
class BenchDatabase:
    url: str
    kind: str  # "sqlite" | "postgresql"
    cleanup_dir: Path | None = None
    admin_url: str | None = None  # PostgreSQL: where to drop the database from
    name: str | None = None

    @property
    def sqlite_file(self) -> Path | None:
        return Path(make_url(self.url).database or "") if self.kind == "sqlite" else None


async def create_database(postgres_admin_url: str | None) -> BenchDatabase:
    if postgres_admin_url is None:
        directory = Path(tempfile.mkdtemp(prefix="statusping-bench-"))
        return BenchDatabase(f"sqlite+aiosqlite:///{directory / 'bench.db'}", "sqlite", cleanup_dir=directory)
    name = f"statusping_bench_{secrets.token_hex(4)}"
    admin = create_async_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    return BenchDatabase(url, "postgresql", admin_url=postgres_admin_url, name=name)


async def drop_database(db: BenchDatabase) -> None:
    if db.cleanup_dir is not None:
        shutil.rmtree(db.cleanup_dir, ignore_errors=True)
    if db.admin_url is not None and db.name is not None:
        admin = create_async_engine(db.admin_url, isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)'))
        finally:
            await admin.dispose()


async def seed(db: BenchDatabase, *, monitors: int, interval: int, target_url: str) -> None:
    """Migrate, then add one organization and ``monitors`` http monitors on their steady-state slots.

    The first monitor is made by ``services.monitors.create_monitor`` itself; the rest are copies of
    its row (new id and name), bulk-inserted, so every row is shaped exactly as the service makes it.
    ``next_check_at`` is each monitor's next slot rather than "now", so the run starts spread out.
    """
    engine = create_engine(db.url)
    try:
        await upgrade(engine)
        sessionmaker = create_sessionmaker(engine)
        now = datetime.now(UTC)
        async with sessionmaker() as session, session.begin():
            org = Organization(name="Benchmark", slug=f"bench-{secrets.token_hex(4)}")
            session.add(org)
            await session.flush()
            fields = {"type": "http", "name": "bench 0", "url": target_url, "interval_seconds": interval}
            template = await create_monitor(session, org, fields, SELFHOSTED, now)
            template.next_check_at = next_slot(str(template.id), interval, now)
            # Not num: each monitor draws its own (a sequence on PostgreSQL, a trigger on SQLite).
            columns = {
                attr.key: getattr(template, attr.key)
                for attr in inspect(Monitor).column_attrs
                if attr.key != "num"
            }
            rows = [_copy(columns, i, interval, now) for i in range(1, monitors)]
            for start in range(0, len(rows), INSERT_CHUNK):
                await session.execute(insert(Monitor), rows[start : start + INSERT_CHUNK])
    finally:
        await engine.dispose()


def _copy(columns: dict[str, Any], index: int, interval: int, now: datetime) -> dict[str, Any]:
    monitor_id = uuid.uuid4()
    return {
        **columns,
        "id": monitor_id,
        "name": f"bench {index}",
        "next_check_at": next_slot(str(monitor_id), interval, now),
    }


# Measuring ------------------------------------------------------------------------------------


async def stored_bytes(engine: AsyncEngine, kind: str) -> tuple[int, int]:
    """(check results bytes, whole database bytes in use, WAL included).

    The results are ``check_results`` and ``check_errors`` with their indexes: on SQLite their pages
    as ``dbstat`` counts them, on PostgreSQL the day partitions of ``check_results`` (the parent holds
    no rows) and ``check_errors``, with indexes and TOAST. The whole database also grows by what a
    monitor's first check writes (its state, a dashboard change, its first rollup buckets) and by new
    hourly buckets at an hour's turn: in a short window that is noise around the per-check figure.
    """
    async with engine.connect() as conn:
        if kind == "sqlite":
            page_size = (await conn.execute(text("PRAGMA page_size"))).scalar_one()
            pages = (await conn.execute(text("PRAGMA page_count"))).scalar_one()
            free = (await conn.execute(text("PRAGMA freelist_count"))).scalar_one()
            results = (
                await conn.execute(
                    text(
                        "SELECT coalesce(sum(pgsize), 0) FROM dbstat "
                        "WHERE name IN ('check_results', 'check_errors') AND aggregate = TRUE"
                    )
                )
            ).scalar_one()
            await conn.rollback()
            return int(results), int((pages - free) * page_size)
        query = (
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0), pg_database_size(current_database()) "
            "FROM pg_class AS c WHERE c.relkind = 'r' "
            "AND (c.relname LIKE 'check\\_results\\_p%' OR c.relname = 'check_errors')"
        )
        results, whole = (await conn.execute(text(query))).one()
        await conn.rollback()
        return int(results), int(whole)


async def result_counts(engine: AsyncEngine) -> tuple[int, int]:
    """(results stored, of which failures): counted, as results have no running id."""
    async with engine.connect() as conn:
        rows, failed = (
            await conn.execute(text("SELECT count(*), count(*) FILTER (WHERE NOT ok) FROM check_results"))
        ).one()
        await conn.rollback()
        return int(rows), int(failed)


async def overdue_monitors(engine: AsyncEngine, *, now: datetime, seconds: float) -> int:
    """Monitors whose slot passed more than ``seconds`` ago and that no worker holds: the backlog."""
    query = (
        select(func.count())
        .select_from(Monitor)
        .where(Monitor.next_check_at < now - timedelta(seconds=seconds), Monitor.lease_owner.is_(None))
    )
    async with engine.connect() as conn:
        value = (await conn.execute(query)).scalar_one()
        await conn.rollback()
        return int(value)


def sqlite_files_after_checkpoint(path: Path) -> dict[str, int]:
    """File sizes once the WAL is folded into the database (run after the engine has stopped)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    sizes = {}
    for suffix in ("", "-wal", "-shm"):
        file = Path(f"{path}{suffix}")
        sizes[f"db{suffix}"] = file.stat().st_size if file.exists() else 0
    return sizes


def thread_cpu_seconds() -> tuple[float, float]:
    """(main thread, all other threads) CPU of this process, from /proc/self/task."""
    ticks = os.sysconf("SC_CLK_TCK")
    main, others = 0, 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended
        used = int(fields[11]) + int(fields[12])
        if int(tid) == os.getpid():
            main += used
        else:
            others += used
    return main / ticks, others / ticks


def postgres_cpu_seconds() -> float:
    """CPU (user + system) of every ``postgres`` process on this machine, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                raw = stat.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        if comm.startswith("postgres"):
            fields = raw[raw.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks
