"""The engine loop: claim due monitors, run checks with bounded concurrency, record in batches.

Used embedded in ``statusping serve`` and alone in ``statusping worker``. Any number of engines may
share one PostgreSQL database (monitors are leased, never double-checked); on SQLite a named lease
lets only one engine run at a time and the others wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from statusping.background import BackgroundLoop
from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.domain.monitors import MonitorType
from statusping.engine.retention import RetentionRules, prune
from statusping.engine.runners import run_check
from statusping.engine.scheduler import Claim, claim_due, spread_backlog
from statusping.outbound.http import HttpClient
from statusping.services.recording import Observation, record
from statusping.storage.repositories.leases import LeaseRepository

log = logging.getLogger(__name__)

SQLITE_ENGINE_LEASE = "engine:sqlite"
SINGLETON_TTL = timedelta(seconds=30)


@dataclass
class EngineOptions:
    region: str = "default"
    concurrency: int = 500
    batch_size: int = 200
    poll_interval: float = 0.2
    flush_interval: float = 0.2
    singleton: bool = False  # SQLite: one engine at a time
    retention: RetentionRules | None = None  # prune history now and then (None: never)
    retention_every: float = 600.0


@dataclass
class EngineStats:
    """What the engine has done lately, for /api/health and the benchmark."""

    started: float = field(default_factory=time.monotonic)
    checks: int = 0
    recorded: int = 0
    lags_ms: deque[float] = field(default_factory=lambda: deque(maxlen=20_000))
    active: bool = False

    def lag_percentile(self, q: float) -> float | None:
        if not self.lags_ms:
            return None
        ordered = sorted(self.lags_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Engine(BackgroundLoop):
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        client: HttpClient,
        options: EngineOptions | None = None,
        *,
        owner: str | None = None,
    ) -> None:
        super().__init__(sessionmaker, owner=owner)
        self.client = client
        self.options = options or EngineOptions()
        self.stats = EngineStats()
        self._pending: list[Observation] = []
        self._flush_now = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        log.info("engine %s starting (region %s)", self.owner, self.options.region)
        recorder = asyncio.create_task(self._record_loop(), name="engine-recorder")
        housekeeping = asyncio.create_task(self._housekeeping_loop(), name="engine-housekeeping")
        try:
            if self.options.singleton:
                await self._wait_for_singleton()
            if self._stop.is_set():
                return
            async with self._transaction() as db:
                moved = await spread_backlog(db, now=_now())
            if moved:
                log.info("re-slotted %d monitors that fell behind while no engine ran", moved)
            self.stats.active = True
            await self._claim_loop()
        finally:
            self.stats.active = False
            await self._drain()
            for task in (recorder, housekeeping):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self._flush()
            if self.options.singleton:
                async with self._transaction() as db:
                    await LeaseRepository(db).release(SQLITE_ENGINE_LEASE, self.owner)
            log.info("engine %s stopped", self.owner)

    # Claiming ---------------------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        renew_at = time.monotonic() + SINGLETON_TTL.total_seconds() / 3
        while not self._stop.is_set():
            if self.options.singleton and time.monotonic() >= renew_at:
                if not await self._hold_singleton():
                    log.warning("engine lease lost; waiting to get it back")
                    await self._wait_for_singleton()
                renew_at = time.monotonic() + SINGLETON_TTL.total_seconds() / 3
            free = self.options.concurrency - len(self._inflight)
            if free <= 0:
                await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
                continue
            limit = min(free, self.options.batch_size)
            try:
                async with self._transaction() as db:
                    claims = await claim_due(db, owner=self.owner, now=_now(), limit=limit)
            except Exception:
                log.exception("claiming due monitors failed; retrying")
                await self._sleep(1.0)
                continue
            for claim in claims:
                task = asyncio.create_task(self._check(claim))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
            if len(claims) < limit:
                await self._sleep(self.options.poll_interval)

    async def _check(self, claim: Claim) -> None:
        started = _now()
        self.stats.lags_ms.append(max(0.0, (started - claim.due_at).total_seconds() * 1000))
        immediate = False
        if claim.type is MonitorType.HEARTBEAT:
            outcome = missed_heartbeat(claim)
            immediate = True
        else:
            outcome = await run_check(claim.type, claim.config, claim.timeout_seconds, self.client)
        self.stats.checks += 1
        self._pending.append(Observation(claim.monitor_id, outcome, started, self.owner, immediate=immediate))
        if len(self._pending) >= self.options.batch_size:
            self._flush_now.set()

    # Recording --------------------------------------------------------------------------------

    async def _record_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flush_now.wait(), self.options.flush_interval)
            self._flush_now.clear()
            await self._flush()

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[: self.options.batch_size]
            try:
                async with self._transaction() as db:
                    await record(db, batch, region=self.options.region)
            except Exception:
                # Keep the batch: the leases still hold, so a retry shortly after stores it.
                log.exception("recording %d results failed; retrying", len(batch))
                await asyncio.sleep(1.0)
                continue
            del self._pending[: len(batch)]
            self.stats.recorded += len(batch)

    async def _drain(self, grace: float = 5.0) -> None:
        if self._inflight:
            _, unfinished = await asyncio.wait(self._inflight, timeout=grace)
            for task in unfinished:
                task.cancel()

    async def _housekeeping_loop(self) -> None:
        rules = self.options.retention
        if rules is None:
            return
        while not self._stop.is_set():
            try:
                await prune(self.sessionmaker, rules, owner=self.owner, now=_now())
            except Exception:
                log.exception("pruning history failed; trying again later")
            await self._sleep(self.options.retention_every)

    # Singleton (SQLite) -----------------------------------------------------------------------

    async def _hold_singleton(self) -> bool:
        async with self._transaction() as db:
            return await LeaseRepository(db).acquire(
                SQLITE_ENGINE_LEASE, self.owner, now=_now(), ttl=SINGLETON_TTL
            )

    async def _wait_for_singleton(self) -> None:
        while not self._stop.is_set():
            if await self._hold_singleton():
                return
            log.info("another engine runs on this SQLite database; waiting")
            await self._sleep(SINGLETON_TTL.total_seconds() / 3)


def missed_heartbeat(claim: Claim) -> CheckOutcome:
    grace = int(claim.config.get("grace_seconds", 0))
    return CheckOutcome.failure(
        ErrorKind.HEARTBEAT_MISSED,
        f"no ping within {claim.interval_seconds + grace} s (interval {claim.interval_seconds} s"
        f" + grace {grace} s)",
    )


def _now() -> datetime:
    return datetime.now(UTC)
