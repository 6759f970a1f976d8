"""The engine loop: claim due monitors, run checks with bounded concurrency, record in batches.

Used embedded in ``statusping serve`` and alone in ``statusping worker``. Any number of engines may
share one PostgreSQL database (monitors are leased, never double-checked); on SQLite a named lease
lets only one engine run at a time and the others wait. Beside the lease, an engine on a SQLite file
holds an OS lock on a file next to it (``engine/os_lock.py``): the kernel drops it when the engine
dies, however it dies, so a restarted engine takes over at once instead of waiting for a SIGKILLed
one's lease to run out.

Its loops (claim, record, housekeeping, and on SQLite the lease) run under the process's supervisor
(``statusping.supervisor``): a loop that fails is restarted with backoff, so a transient database
error never ends monitoring. Results wait for the recorder in a bounded queue; when recording falls
behind, claiming waits. A stop drains for at most ``shutdown_grace`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from statusping.background import BackgroundLoop
from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.domain.monitors import MonitorType
from statusping.domain.regions import HEARTBEAT, LIVE_WINDOW
from statusping.domain.schedule_cron import expectation_of, missed_message
from statusping.engine.batches import BatchRecorder
from statusping.engine.os_lock import EngineLock
from statusping.engine.retention import RETENTION_LEASE, RetentionRules, prune
from statusping.engine.runners import run_check
from statusping.engine.scheduler import Claim, claim_due, spread_backlog
from statusping.outbound.http import HttpClient
from statusping.process_status import EngineFigures
from statusping.services.billing import end_lapsed_grace
from statusping.services.recording import Observation
from statusping.services.regions import (
    RegionView,
    add_schedules,
    detach_monitor_schedules,
    remove_schedules,
    report_in,
    schedule_changes,
)
from statusping.storage.repositories.leases import LeaseRepository
from statusping.supervisor import Loop, LoopSpec, Supervisor, describe

log = logging.getLogger(__name__)

SQLITE_ENGINE_LEASE = "engine:sqlite"
SINGLETON_TTL = timedelta(seconds=30)
RENEW_EVERY = SINGLETON_TTL.total_seconds() / 3
LEASE_SAFETY = timedelta(seconds=5)
LOCK_RETRY = 0.5  # seconds between two tries for the OS lock while another live engine holds it
LAG_REFRESH_SECONDS = 5.0  # /api/health sorts the lag buffer at most this often
REGION_BEAT = HEARTBEAT.total_seconds()
REGION_LIVE_WINDOW = LIVE_WINDOW.total_seconds()


@dataclass
class EngineOptions:
    region: str = "default"
    concurrency: int = 500
    batch_size: int = 200
    poll_interval: float = 0.2
    # Results wait up to this long to be recorded together: each record transaction has a fixed cost
    # of a few ms, so batches of ~200 instead of ~70 (at 10,000 monitors every 30 s) cost ~10 % less
    # CPU per check (bench/engine.py); a state change reaches the database, and alerts, ≤ 1 s later.
    flush_interval: float = 1.0
    # While several regions are live (or before the engine knows) their quorum reads each other's
    # results: record promptly then. Short intervals shorten the wait too (see _flush_interval).
    multi_region_flush_interval: float = 0.2
    singleton: bool = False  # SQLite: one engine at a time
    lock_path: Path | None = None  # SQLite file: the OS lock that marks the live engine (singleton only)
    retention: RetentionRules | None = None  # prune history now and then (None: never)
    retention_every: float = 600.0
    # Checks in flight plus results waiting to be recorded; claiming waits beyond this.
    max_pending: int = 2000
    # No progress (a completed claim poll, a recorded batch) for this long: /api/health answers 503.
    stall_after: float = 30.0
    shutdown_grace: float = 10.0  # a stop waits this long, at most, for checks and the last results
    # Reporting this engine's region and following the others' (services.regions, domain.regions).
    region_beat: float = REGION_BEAT
    region_live_window: float = REGION_LIVE_WINDOW


@dataclass
class EngineStats:
    """What the engine has done lately, for /api/health and the benchmark."""

    started: float = field(default_factory=time.monotonic)
    checks: int = 0
    recorded: int = 0
    lags_ms: deque[float] = field(default_factory=lambda: deque(maxlen=20_000))
    active: bool = False
    _lag_cache: dict[float, tuple[float, float | None]] = field(default_factory=dict)

    def lag_percentile(self, q: float) -> float | None:
        """The q-quantile of recent check lags, recomputed at most every few seconds (health polls it)."""
        now = time.monotonic()
        cached = self._lag_cache.get(q)
        if cached is not None and now - cached[0] < LAG_REFRESH_SECONDS:
            return cached[1]
        value = None
        if self.lags_ms:
            ordered = sorted(self.lags_ms)
            value = ordered[min(len(ordered) - 1, int(q * len(ordered)))]
        self._lag_cache[q] = (now, value)
        return value


class Engine(BackgroundLoop):
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        client: HttpClient,
        options: EngineOptions | None = None,
        *,
        owner: str | None = None,
        supervisor: Supervisor | None = None,
    ) -> None:
        super().__init__(sessionmaker, owner=owner, supervisor=supervisor)
        self.client = client
        self.options = options or EngineOptions()
        self.stats = EngineStats()
        # Results waiting for the recorder. Bounded: checks in flight plus queued results never
        # exceed ``queue_bound``, so when recording falls behind, claiming waits (backpressure).
        self._pending: list[Observation] = []
        self._recorder = BatchRecorder(self._transaction, self._pending, region=self.options.region)
        self._flush_now = asyncio.Event()
        self._room = asyncio.Event()  # a check finished or the recorder stored some results
        self._recorder_stop = asyncio.Event()  # the recorder outlives the claim loop, to drain
        self._inflight: set[asyncio.Task[None]] = set()
        self._lease_until = 0.0  # monotonic; the SQLite engine lease is ours until then
        self._lease_changed = asyncio.Event()
        path = self.options.lock_path if self.options.singleton else None
        self._lock = None if path is None else EngineLock(path)
        self.regions: RegionView | None = None  # the installation's regions as last reported
        self._silent_warned: set[str] = set()
        self._shortest_interval = (float("inf"), 0.0)  # seconds, and monotonic time it was claimed

    @property
    def queue_bound(self) -> int:
        return max(self.options.max_pending, self.options.batch_size)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def figures(self) -> EngineFigures:
        """What /api/health and /metrics show of this engine (the lag p99 is cached for seconds)."""
        lag = self.stats.lag_percentile(0.99)
        return EngineFigures(
            running=self.stats.active,
            checks=self.stats.checks,
            recorded=self.stats.recorded,
            pending=len(self._pending),
            lag_p99_ms=None if lag is None else round(lag, 1),
            region=self.options.region,
            live_regions=self.regions.live if self.regions else (),
            silent_regions=tuple(r.name for r in self.regions.silent) if self.regions else (),
        )

    async def run(self) -> None:
        """Run the engine's loops under the supervisor until :meth:`stop`; then drain, bounded."""
        log.info("engine %s starting (region %s)", self.owner, self.options.region)
        options, start = self.options, self.supervisor.start
        loops: list[Loop] = []
        if options.singleton:
            renew = max(options.stall_after, 3 * RENEW_EVERY)
            loops.append(start(LoopSpec("engine.lease", renew), self._lease_loop, stop=self._stop))
        claim = start(LoopSpec("engine.claim", options.stall_after), self._claim_loop, stop=self._stop)
        # Not critical: while it fails, the engine keeps checking on the regions it last knew.
        spec = LoopSpec("engine.regions", max(options.stall_after, 3 * options.region_beat), critical=False)
        loops.append(start(spec, self._region_loop, stop=self._stop))
        recorder = start(
            LoopSpec("engine.recorder", options.stall_after), self._record_loop, stop=self._recorder_stop
        )
        if options.retention is not None:
            # A pass may take long on a big database, and a late prune harms nobody: not critical.
            spec = LoopSpec("engine.housekeeping", 3 * options.retention_every, critical=False)
            loops.append(start(spec, self._housekeeping_loop, stop=self._stop))
        await self._stop.wait()
        await self._shutdown(claim, recorder, loops)

    async def _shutdown(self, claim: Loop, recorder: Loop, others: list[Loop]) -> None:
        """Every step is bounded by ``shutdown_grace``: a stop always ends, recorded or not."""
        deadline = time.monotonic() + self.options.shutdown_grace

        def left() -> float:
            return max(deadline - time.monotonic(), 0.1)

        await claim.finish(left())
        await self._drain(left())
        self._recorder_stop.set()
        self._flush_now.set()
        await recorder.finish(left())
        while self._pending and time.monotonic() < deadline:
            try:
                async with asyncio.timeout(left()):
                    await self._flush()
            except Exception as exc:  # the database is away: try again until the deadline
                log.warning("recording at shutdown failed (%s); retrying", describe(exc))
                await asyncio.sleep(min(0.5, left()))
        if self._pending:
            # Their leases run out and the monitors are checked again by the next engine: nothing is lost
            # but these results.
            log.warning("engine %s stops with %d results unrecorded", self.owner, len(self._pending))
        for loop in others:
            await loop.finish(left())
        await self._release_leases()
        log.info("engine %s stopped", self.owner)

    # Claiming ---------------------------------------------------------------------------------

    async def _claim_loop(self, loop: Loop) -> None:
        await self._until_leased(loop)
        if self._stop.is_set():
            return
        if self.regions is None:  # know whether checks go per region before the first claim
            await self._report_region()
        async with self._transaction() as db:
            moved = await spread_backlog(db, now=_now())
        if moved:
            log.info("re-slotted %d monitors that fell behind while no engine ran", moved)
        try:
            while not self._stop.is_set():
                if not self._leased():
                    self.stats.active = False
                    log.warning("engine lease lost; waiting to get it back")
                    await self._until_leased(loop)
                    continue
                self.stats.active = True
                room = self.queue_bound - len(self._pending) - len(self._inflight)
                free = min(self.options.concurrency - len(self._inflight), room)
                if free <= 0:
                    await self._wait(self._room, 1.0)
                    continue
                limit = min(free, self.options.batch_size)
                async with self._transaction() as db:
                    claims = await claim_due(
                        db, owner=self.owner, now=_now(), limit=limit, region=self._claim_region()
                    )
                loop.progress()  # a completed poll is progress, even an empty one
                if claims:
                    self._note_intervals(claims)
                for claim in claims:
                    task = asyncio.create_task(self._check(claim))
                    self._inflight.add(task)
                    task.add_done_callback(self._check_done)
                if len(claims) < limit:
                    await self._sleep(self.options.poll_interval)
        finally:
            self.stats.active = False

    def _check_done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._room.set()
        if not task.cancelled() and (exc := task.exception()) is not None:
            # A runner bug: no result, so the monitor's lease runs out and it is checked again.
            log.error("a check failed unexpectedly", exc_info=exc)

    async def _check(self, claim: Claim) -> None:
        started = _now()
        # Whole milliseconds, as results are stored: the recorder then keeps the observation as it is.
        started = started.replace(microsecond=started.microsecond // 1000 * 1000)
        self.stats.lags_ms.append(max(0.0, (started - claim.due_at).total_seconds() * 1000))
        immediate = False
        if claim.type is MonitorType.HEARTBEAT:
            outcome = missed_heartbeat(claim)
            immediate = True
        else:
            outcome = await run_check(claim.type, claim.config, claim.timeout_seconds, self.client)
        self.stats.checks += 1
        self._pending.append(
            Observation(
                claim.monitor_id, outcome, started, self.owner, immediate=immediate, regional=claim.regional
            )
        )
        if len(self._pending) >= self.options.batch_size:
            self._flush_now.set()

    async def _wait(self, event: asyncio.Event, seconds: float) -> None:
        """Wait for ``event`` (cleared first), the stop signal or ``seconds``, whichever comes first."""
        event.clear()
        waits = {asyncio.ensure_future(event.wait()), asyncio.ensure_future(self._stop.wait())}
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    # Regions ----------------------------------------------------------------------------------

    def _flush_interval(self) -> float:
        """How long results may wait: never more than a tenth of the shortest interval claimed in the
        last minute (a 1 s monitor's result must not wait for its next slot), and only briefly while
        several regions are live or before the engine knows."""
        interval = self.options.flush_interval
        if self.regions is None or self.regions.multi:
            interval = min(interval, self.options.multi_region_flush_interval)
        shortest, seen = self._shortest_interval
        if time.monotonic() - seen < 60:
            interval = min(interval, shortest / 10)
        return interval

    def _note_intervals(self, claims: list[Claim]) -> None:
        shortest = min(claim.interval_seconds for claim in claims)
        held, seen = self._shortest_interval
        now = time.monotonic()
        if shortest <= held or now - seen >= 60:
            self._shortest_interval = (shortest, now)

    def _claim_region(self) -> str | None:
        """This engine's region while several are live (checks go per region), else None."""
        return self.options.region if self.regions is not None and self.regions.multi else None

    async def _region_loop(self, loop: Loop) -> None:
        """Report this engine's region, follow the others' and keep this region's schedules.

        On SQLite only the engine holding the lease reports: the others check nothing, so their
        regions are not live (multi-region needs PostgreSQL; docs/decisions.md).
        """
        while not self._stop.is_set():
            if self._leased():
                await self._report_region()
            loop.progress()
            await self._sleep(self.options.region_beat)

    async def _report_region(self) -> None:
        now = _now()
        window = timedelta(seconds=self.options.region_live_window)
        async with self._transaction() as db:
            view = await report_in(
                db, owner=self.owner, region=self.options.region, now=now, live_window=window
            )
        self._note_regions(view)
        # Each step its own transaction (services.regions.schedule_changes says why).
        async with self._transaction() as db:
            synced = await schedule_changes(db, view, now)
        if synced.removed:
            async with self._transaction() as db:
                await remove_schedules(db, view.region, synced.removed)
        if synced.added:
            async with self._transaction() as db:
                await add_schedules(db, view.region, synced.added)
        if view.multi:
            async with self._transaction() as db:
                await detach_monitor_schedules(db)
        self.regions = view
        if synced.added or synced.removed or synced.dropped or synced.dissolved:
            log.info(
                "region %s schedules: %d added, %d removed, %d of silent regions dropped%s",
                view.region,
                synced.added,
                synced.removed,
                synced.dropped,
                "; one region left, monitors back on their own schedule" if synced.dissolved else "",
            )

    def _note_regions(self, view: RegionView) -> None:
        """Tell operators when the live regions change and when a region falls silent."""
        if self.regions is None or self.regions.live != view.live:
            log.info("live regions: %s", ", ".join(view.live) or "none")
        silent_now = {region.name for region in view.silent}
        for region in view.silent:
            if region.name not in self._silent_warned:
                log.warning(
                    "region %s has no live worker (last seen %s): it is excluded from every monitor's "
                    "quorum until a worker of it reports again",
                    region.name,
                    region.last_seen_at.isoformat(timespec="seconds"),
                )
        for name in sorted(self._silent_warned - silent_now):
            log.info("region %s is reporting again", name)
        self._silent_warned = silent_now

    # Recording --------------------------------------------------------------------------------

    async def _record_loop(self, loop: Loop) -> None:
        def stored() -> None:
            loop.progress()
            self._room.set()

        self._recorder.on_stored = stored
        while not self._recorder_stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flush_now.wait(), self._flush_interval())
            self._flush_now.clear()
            await self._flush()  # raises while the database is away; the supervisor retries
            loop.progress()

    async def _flush(self) -> None:
        try:
            await self._recorder.flush(self.options.batch_size)
        finally:
            self.stats.recorded = self._recorder.stored + self._recorder.substituted

    async def _drain(self, grace: float) -> None:
        if self._inflight:
            _, unfinished = await asyncio.wait(self._inflight, timeout=grace)
            for task in unfinished:
                task.cancel()

    async def _housekeeping_loop(self, loop: Loop) -> None:
        rules = self.options.retention
        assert rules is not None  # started only with rules
        while not self._stop.is_set():
            await prune(self.sessionmaker, rules, owner=self.owner, now=_now())
            async with self._transaction() as db:  # billing: failed payments whose grace has ended
                await end_lapsed_grace(db, _now())
            loop.progress()
            await self._sleep(self.options.retention_every)

    # Leases -----------------------------------------------------------------------------------

    async def _release_leases(self) -> None:
        """Let the next engine start, and another node prune, without waiting for our leases to expire."""
        names = [SQLITE_ENGINE_LEASE] if self.options.singleton else []
        if self.options.retention is not None:
            names.append(RETENTION_LEASE)
        try:
            async with asyncio.timeout(2.0), self._transaction() as db:
                for name in names:
                    await LeaseRepository(db).release(name, self.owner)
        except Exception as exc:  # they expire by themselves
            log.warning("releasing the engine's leases failed: %s", describe(exc))
        if self._lock is not None:
            self._lock.release()

    def _leased(self) -> bool:
        return not self.options.singleton or time.monotonic() < self._lease_until

    async def _until_leased(self, loop: Loop) -> None:
        while not self._stop.is_set() and not self._leased():
            await self._wait(self._lease_changed, 1.0)
            loop.progress()  # waiting for another engine to stop is this engine's job on SQLite

    async def _lease_loop(self, loop: Loop) -> None:
        while not self._stop.is_set():
            asked = time.monotonic()
            # With the OS lock held, any other engine that held the lease is dead: take it over now.
            alone = self._lock.try_acquire() if self._lock is not None else None
            held = False
            if alone is not False:  # an OS lock of ours, or none to be had: ask the lease
                async with self._transaction() as db:
                    held = await LeaseRepository(db).acquire(
                        SQLITE_ENGINE_LEASE, self.owner, now=_now(), ttl=SINGLETON_TTL, take_over=bool(alone)
                    )
            if held:
                # Counted from before we asked, less a margin: never claim on a lease that may have run out.
                self._lease_until = asked + (SINGLETON_TTL - LEASE_SAFETY).total_seconds()
            elif self._lease_until or loop.last_progress is None:
                log.info("another engine runs on this SQLite database; waiting")
                self._lease_until = 0.0
            self._lease_changed.set()
            loop.progress()
            # A live rival holds the OS lock: try again soon, it costs no database round trip.
            await self._sleep(RENEW_EVERY if held or alone is None else LOCK_RETRY)


def missed_heartbeat(claim: Claim) -> CheckOutcome:
    expect = expectation_of(claim.interval_seconds, claim.config)
    return CheckOutcome.failure(ErrorKind.HEARTBEAT_MISSED, missed_message(expect, claim.due_at))


def _now() -> datetime:
    return datetime.now(UTC)
