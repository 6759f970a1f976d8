"""Pruning history by plan: raw results for a short window, rollups for the plan's history.

Runs periodically on one node at a time (a named lease), deleting in small batches, each in its own
short transaction, so writers never wait long behind it. Once a monitor's windows are full, its
storage stops growing. On PostgreSQL raw results are partitioned by day: a pass first makes the next
days' partitions and drops the days older than every plan's raw window whole; the row deletes that
follow only trim the plans with shorter windows and the day at the edge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from statusping.storage import partitions
from statusping.storage.models import AlertEvent, Monitor, Organization
from statusping.storage.repositories.dashboard import DashboardRepository
from statusping.storage.repositories.history import ROLLUP_TABLES
from statusping.storage.repositories.leases import LeaseRepository
from statusping.storage.repositories.results import count_old, prune_monitor, prune_monitors

log = logging.getLogger(__name__)

RETENTION_LEASE = "job:retention"
ALERT_LOG_KEPT = timedelta(days=90)
CHANGES_KEPT = timedelta(days=1)  # open dashboards follow the change record within seconds
BUCKET_SPAN = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}
BATCH = 5000
MONITORS_PER_STATEMENT = 500  # PostgreSQL: monitors whose old results one DELETE takes
MONITORS_PER_GROUP = 100  # SQLite: monitors whose old results one short transaction takes


@dataclass(frozen=True, slots=True)
class RetentionRules:
    history_days: dict[str, int]  # plan key → days of history kept
    raw_days: int  # raw results are kept at most this long (and never beyond the history)

    def raw_cutoff(self, days: int, now: datetime) -> datetime:
        return now - timedelta(days=min(self.raw_days, days))

    def history_cutoff(self, days: int, now: datetime) -> datetime:
        return now - timedelta(days=days)


async def _windows(
    sessionmaker: async_sessionmaker[AsyncSession], rules: RetentionRules, now: datetime
) -> list[tuple[ColumnElement[bool], int]]:
    """Which organizations keep how many days: their plan's window, or longer for 30 days after a
    downgrade — max(plan's days, ``history_kept_days``) while ``history_kept_until`` is ahead
    (services/plans.py), so a downgrade deletes nothing before then and an upgrade brings it back."""
    kept = and_(Organization.history_kept_until.is_not(None), Organization.history_kept_until > now)
    async with sessionmaker() as db:
        kept_days = sorted(
            d
            for d in await db.scalars(
                select(Organization.history_kept_days)
                .where(kept, Organization.history_kept_days.is_not(None))
                .distinct()
            )
            if d is not None
        )
    windows: list[tuple[ColumnElement[bool], int]] = []
    for plan, days in rules.history_days.items():
        plain = or_(~kept, Organization.history_kept_days.is_(None), Organization.history_kept_days <= days)
        windows.append((and_(Organization.plan == plan, plain), days))
        windows.extend(
            (and_(Organization.plan == plan, kept, Organization.history_kept_days == k), k)
            for k in kept_days
            if k > days
        )
    return windows


async def prune(
    sessionmaker: async_sessionmaker[AsyncSession], rules: RetentionRules, *, owner: str, now: datetime
) -> int:
    """One pass over every plan; returns the rows deleted. Skips if another node holds the lease."""
    async with sessionmaker() as db, db.begin():
        if not await LeaseRepository(db).acquire(RETENTION_LEASE, owner, now=now, ttl=timedelta(minutes=15)):
            return 0
    windows = await _windows(sessionmaker, rules, now)
    async with sessionmaker() as db, db.begin():
        await partitions.ensure_partitions(db, now.date())
    if windows:
        async with sessionmaker() as db, db.begin():
            oldest = min(rules.raw_cutoff(days, now) for _, days in windows)
            dropped = await partitions.drop_partitions_before(db, oldest)
        if dropped:
            log.info("retention dropped the result partitions %s", ", ".join(dropped))
    deleted = 0
    for orgs, days in windows:
        deleted += await _prune_results(sessionmaker, orgs, rules.raw_cutoff(days, now))
        for name, table in ROLLUP_TABLES.items():
            # A bucket goes once it has ended before the cutoff: yesterday's daily bucket still
            # holds the last 24 hours' first part.
            span = BUCKET_SPAN[name]
            deleted += await _prune_table(
                sessionmaker, table, "bucket_start", orgs, rules.history_cutoff(days, now) - span
            )
    deleted += await _prune_alert_log(sessionmaker, now - ALERT_LOG_KEPT)
    deleted += await _prune_changes(sessionmaker, now - CHANGES_KEPT)
    if deleted:
        log.info("retention pruned %d rows", deleted)
    return deleted


async def _prune_changes(sessionmaker: async_sessionmaker[AsyncSession], cutoff: datetime) -> int:
    total = 0
    while True:
        async with sessionmaker() as db, db.begin():
            count = await DashboardRepository(db).prune_changes(cutoff, limit=BATCH)
        total += count
        if count < BATCH:
            return total


async def _prune_alert_log(sessionmaker: async_sessionmaker[AsyncSession], cutoff: datetime) -> int:
    """Old alert events go with their deliveries and attempts (ON DELETE CASCADE).

    Retries end a day after an event, so nothing this old is still pending.
    """
    total = 0
    while True:
        async with sessionmaker() as db, db.begin():
            doomed = select(AlertEvent.id).where(AlertEvent.created_at < cutoff).limit(BATCH)
            result = await db.execute(delete(AlertEvent).where(AlertEvent.id.in_(doomed.scalar_subquery())))
            count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        total += count
        if count < BATCH:
            return total


async def _prune_results(
    sessionmaker: async_sessionmaker[AsyncSession], orgs: ColumnElement[bool], cutoff: datetime
) -> int:
    """Each monitor's results older than ``cutoff``, a bounded number of rows per transaction."""
    async with sessionmaker() as db:
        nums = [
            n
            for n in await db.scalars(
                select(Monitor.num)
                .join(Organization, Organization.id == Monitor.organization_id)
                .where(orgs)
                .order_by(Monitor.num)
            )
            if n is not None
        ]
        postgres = db.get_bind().dialect.name == "postgresql"
    total = 0
    if postgres:
        for start in range(0, len(nums), MONITORS_PER_STATEMENT):
            async with sessionmaker() as db, db.begin():
                total += await prune_monitors(db, nums[start : start + MONITORS_PER_STATEMENT], cutoff)
        return total
    # SQLite: one writer at a time, so every transaction stays small. Usually a group of monitors has
    # a few old rows each (what arrived since the last pass) and goes in one statement; a backlog
    # (the first pass, a long pause of housekeeping) goes monitor by monitor, BATCH rows at a time.
    for start in range(0, len(nums), MONITORS_PER_GROUP):
        group = nums[start : start + MONITORS_PER_GROUP]
        async with sessionmaker() as db, db.begin():
            small = await count_old(db, group, cutoff) <= BATCH
            if small:
                total += await prune_monitors(db, group, cutoff)
        if small:
            continue
        for num in group:
            count = BATCH
            while count == BATCH:
                async with sessionmaker() as db, db.begin():
                    count = await prune_monitor(db, num, cutoff, limit=BATCH)
                total += count
    return total


async def _prune_table(
    sessionmaker: async_sessionmaker[AsyncSession],
    table: Table,
    time_column: str,
    orgs: ColumnElement[bool],
    cutoff: datetime,
) -> int:
    on_plan = select(Monitor.id).join(Organization, Organization.id == Monitor.organization_id).where(orgs)
    total = 0
    while True:
        async with sessionmaker() as db, db.begin():
            if "id" in table.c:
                doomed = (
                    select(table.c.id)
                    .where(table.c.monitor_id.in_(on_plan), table.c[time_column] < cutoff)
                    .limit(BATCH)
                )
                result = await db.execute(delete(table).where(table.c.id.in_(doomed.scalar_subquery())))
            else:
                # Rollups have a composite key; each hour or day is its own small delete anyway.
                result = await db.execute(
                    delete(table).where(table.c.monitor_id.in_(on_plan), table.c[time_column] < cutoff)
                )
            count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        total += count
        if count < BATCH or "id" not in table.c:
            return total
