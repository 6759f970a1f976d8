"""Regions at work: workers reporting in, per-region schedules, and judging a region's check.

Every engine reports its region every few seconds (``report_in``). While only one region is live —
every installation that never starts a worker with another ``--region`` — nothing else happens and
monitors keep their single schedule. Once a second region is live, each worker keeps its own
region's schedules in step with the monitors (``sync_schedules``): a row per monitor it should
check, none for paused monitors, heartbeats or monitors that list other regions; a region that falls
silent loses its rows, which takes it out of every quorum at once. When one region is left, the rows
are dissolved and monitors take their own schedule back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.quorum import RegionState, judge, observe
from statusping.domain.regions import (
    LIVE_WINDOW,
    RegionHealth,
    checking_regions,
    freshness,
    multi_region,
    silent,
)
from statusping.domain.schedule import next_check_at, next_slot
from statusping.domain.status import MonitorState, Status, Transition
from statusping.storage.repositories.monitors import MonitorRow
from statusping.storage.repositories.regions import RegionRepository, RegionRow

FORGET_WORKERS_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class RegionView:
    """What one worker knows of the installation's regions after reporting in."""

    region: str
    live: tuple[str, ...]
    silent: tuple[RegionHealth, ...] = ()
    regions: tuple[RegionHealth, ...] = field(default=())

    @property
    def multi(self) -> bool:
        return multi_region(self.live)


async def report_in(
    db: AsyncSession, *, owner: str, region: str, now: datetime, live_window: timedelta = LIVE_WINDOW
) -> RegionView:
    repo = RegionRepository(db)
    await repo.beat(owner, region, now)
    await repo.forget_workers(before=now - FORGET_WORKERS_AFTER)
    health = await repo.health(now=now, live_window=live_window)
    live = tuple(h.name for h in health if h.live)
    return RegionView(region=region, live=live, silent=tuple(silent(health)), regions=tuple(health))


async def region_health(
    db: AsyncSession, *, now: datetime, live_window: timedelta = LIVE_WINDOW
) -> list[RegionHealth]:
    return await RegionRepository(db).health(now=now, live_window=live_window)


@dataclass(frozen=True, slots=True)
class ScheduleChanges:
    """What this region's schedules need: rows to add (with their first due time) and to remove."""

    added: dict[uuid.UUID, datetime] = field(default_factory=dict)
    removed: frozenset[uuid.UUID] = frozenset()
    dropped: int = 0  # rows of silent regions, already deleted
    dissolved: bool = False  # one region left: every row already deleted


async def schedule_changes(db: AsyncSession, view: RegionView, now: datetime) -> ScheduleChanges:
    """Compare this worker's region's schedules with the monitors and the live regions.

    With one live region the rows are dissolved here; otherwise the silent regions' rows are dropped
    and the rest is returned for ``remove_schedules`` and ``add_schedules``, each in a transaction of
    its own: an insert waits on the monitor row a recorder may hold while that recorder waits on a
    row the delete holds, so in one transaction they could deadlock on PostgreSQL.
    """
    repo = RegionRepository(db)
    if not view.multi:
        return ScheduleChanges(dissolved=await repo.dissolve(now))
    dropped = await repo.drop_regions([r.name for r in view.silent]) if view.silent else 0
    want = {
        m.id: next_slot(str(m.id), m.interval_seconds, now)
        for m in await repo.checked_monitors()
        if view.region in checking_regions(m.regions, view.live)
    }
    have = await repo.scheduled(view.region)
    return ScheduleChanges(
        added={key: at for key, at in want.items() if key not in have},
        removed=frozenset(have - want.keys()),
        dropped=dropped,
    )


async def remove_schedules(db: AsyncSession, region: str, monitor_ids: frozenset[uuid.UUID]) -> None:
    await RegionRepository(db).remove(region, monitor_ids)


async def add_schedules(db: AsyncSession, region: str, due: dict[uuid.UUID, datetime]) -> None:
    await RegionRepository(db).add(region, due)


async def sync_schedules(db: AsyncSession, view: RegionView, now: datetime) -> ScheduleChanges:
    """All of the above in the caller's one transaction (tests and tools; the engine splits it)."""
    changes = await schedule_changes(db, view, now)
    await remove_schedules(db, view.region, changes.removed)
    await add_schedules(db, view.region, changes.added)
    return changes


async def detach_monitor_schedules(db: AsyncSession) -> None:
    """Monitors now checked per region stop being due on their own row (its own transaction: it
    touches monitor rows, which recorders lock first)."""
    await RegionRepository(db).detach_monitor_schedules()


async def region_rows(db: AsyncSession, monitor_ids: set[uuid.UUID]) -> dict[uuid.UUID, dict[str, RegionRow]]:
    return await RegionRepository(db).of_monitors(monitor_ids) if monitor_ids else {}


async def save_region_rows(db: AsyncSession, rows: list[RegionRow]) -> None:
    await RegionRepository(db).save(rows)


@dataclass(frozen=True, slots=True)
class RegionSummary:
    """One region's view of a monitor, side by side with the others on the monitor page."""

    region: str
    checks: int  # in the last 24 hours
    failures: int
    avg_ms: float | None
    min_ms: float | None
    max_ms: float | None
    checking: bool  # the region checks this monitor now (several regions are live)
    state: str | None  # "up", "confirming", "failing" (confirmed by this region) or None
    last_checked_at: datetime | None
    last_response_ms: float | None
    last_error: str | None


SUMMARY_WINDOW = timedelta(hours=24)


async def region_summary(db: AsyncSession, monitor_id: uuid.UUID, now: datetime) -> list[RegionSummary]:
    """Per-region figures for the monitor page: empty unless more than one region has checked it."""
    repo = RegionRepository(db)
    latency = {r.region: r for r in await repo.latency_by_region(monitor_id, since=now - SUMMARY_WINDOW)}
    rows = {r.region: r for r in await repo.for_page(monitor_id)}
    names = sorted(latency.keys() | rows.keys())
    if len(names) < 2:
        return []
    summaries = []
    for name in names:
        figures, row = latency.get(name), rows.get(name)
        state = None
        if row is not None and row.last_checked_at is not None:
            state = "failing" if row.status == "down" else "confirming" if row.consecutive_failures else "up"
        summaries.append(
            RegionSummary(
                region=name,
                checks=figures.checks if figures else 0,
                failures=figures.failures if figures else 0,
                avg_ms=figures.avg_ms if figures else None,
                min_ms=figures.min_ms if figures else None,
                max_ms=figures.max_ms if figures else None,
                checking=row is not None,
                state=state,
                last_checked_at=row.last_checked_at if row else None,
                last_response_ms=row.last_response_ms if row else None,
                last_error=row.last_error if row and row.consecutive_failures else None,
            )
        )
    return summaries


def state_of_row(row: RegionRow) -> RegionState:
    return RegionState(
        region=row.region,
        status=Status(row.status),
        consecutive_failures=row.consecutive_failures,
        first_failure_at=row.first_failure_at,
        last_error=row.last_error,
        last_checked_at=row.last_checked_at,
        last_response_ms=row.last_response_ms,
    )


@dataclass(frozen=True, slots=True)
class RegionCheck:
    """One region's check of a monitor, as the recorder hands it over."""

    region: str
    ok: bool
    checked_at: datetime
    error: str | None
    response_ms: float | None
    slow: bool
    degraded_after: int | None
    maintenance: bool


def judge_region_check(
    current: MonitorState, monitor: MonitorRow, rows: dict[str, RegionRow], check: RegionCheck
) -> tuple[MonitorState, Transition | None]:
    """Feed the check into its region's confirmation and reschedule that region; then let the
    fresh regions decide the monitor's state (``domain.quorum``). Rewrites the region's row."""
    row = rows[check.region]
    before = state_of_row(row)
    state = observe(
        before,
        ok=check.ok,
        checked_at=check.checked_at,
        failure_threshold=monitor.failure_threshold,
        error=check.error,
        response_ms=check.response_ms,
        maintenance=check.maintenance,
    )
    row.status = state.status.value
    row.consecutive_failures = state.consecutive_failures
    row.first_failure_at = state.first_failure_at
    row.last_error = state.last_error
    row.last_checked_at = state.last_checked_at
    row.last_response_ms = state.last_response_ms
    row.next_check_at = next_check_at(
        str(monitor.id),
        state.as_monitor_state(),
        interval_seconds=monitor.interval_seconds,
        retry_interval_seconds=monitor.retry_interval_seconds,
        checked_at=check.checked_at,
        after_retry=before.as_monitor_state().confirming,
    )
    row.lease_owner = None
    row.lease_expires_at = None
    return judge(
        current,
        [state_of_row(r) for r in rows.values()],
        quorum=monitor.quorum,
        now=check.checked_at,
        window=freshness(monitor.interval_seconds, monitor.timeout_seconds),
        ok=check.ok,
        error=check.error,
        slow=check.slow,
        degraded_after=check.degraded_after,
        maintenance=check.maintenance,
    )
