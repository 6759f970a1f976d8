"""One supervisor for every long-running loop (engine claim/record/housekeeping/lease, dispatcher).

A loop that raises is logged once with its traceback, then with a one-line summary per further
failure in a row, and restarted after a backoff that doubles from 1 s to 5 s: a transient database
error never ends monitoring. Only an error no restart can cure (a bad database URL, a missing driver)
leaves a loop dead. Each loop reports its state, the time of its last progress, its restarts and its
last error, which ``/api/health`` turns into 200 or 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import ArgumentError

log = logging.getLogger(__name__)

BACKOFF_FIRST = 1.0
# Short: once the database is back, monitoring resumes within seconds. The log stays quiet anyway
# (one line per failure in a row), and a probe every 5 s costs a database server nothing.
BACKOFF_MAX = 5.0
# Errors that come back on every restart: the configuration is wrong, not the world.
INCURABLE: tuple[type[BaseException], ...] = (ArgumentError, ImportError)


class LoopState(StrEnum):
    RUNNING = "running"
    BACKING_OFF = "backing_off"
    DEAD = "dead"
    STOPPED = "stopped"


def backoff(failures: int) -> float:
    """Seconds to wait before the restart that follows the ``failures``-th failure in a row."""
    return min(BACKOFF_FIRST * 2.0 ** max(failures - 1, 0), BACKOFF_MAX)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


class Loop:
    """A supervised loop's handle: the body reports progress through it; health reads it."""

    def __init__(self, name: str, *, critical: bool, stall_after: float) -> None:
        self.name = name
        self.critical = critical
        self.stall_after = stall_after
        self.state = LoopState.RUNNING
        self.started = time.monotonic()
        self.last_progress: float | None = None
        self.restarts = 0
        self.failures = 0  # in a row, since the last progress
        self.last_error: str | None = None
        self._task: asyncio.Task[None] | None = None

    def progress(self) -> None:
        """Called by the body whenever it completed a unit of work (a poll counts, even an empty one)."""
        self.last_progress = time.monotonic()
        if self.failures:
            log.info("%s recovered after %d failure(s)", self.name, self.failures)
            self.failures = 0

    def progress_age(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        return now - (self.started if self.last_progress is None else self.last_progress)

    def healthy(self, now: float | None = None) -> bool:
        if self.state in (LoopState.DEAD, LoopState.STOPPED):
            return False
        return self.progress_age(now) <= self.stall_after

    def report(self, now: float | None = None) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "healthy": self.healthy(now),
            "critical": self.critical,
            "progress_age_s": round(self.progress_age(now), 1),
            "restarts": self.restarts,
            "last_error": self.last_error,
        }

    async def finish(self, grace: float) -> None:
        """Wait up to ``grace`` seconds for the loop to end by itself (its stop signal is set), then
        cancel it."""
        task = self._task
        if task is None or task.done():
            self.state = LoopState.STOPPED if self.state is not LoopState.DEAD else self.state
            return
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:
            log.warning("%s did not stop within %.0f s; cancelling it", self.name, grace)
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if self.state is not LoopState.DEAD:
            self.state = LoopState.STOPPED


Body = Callable[[Loop], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LoopSpec:
    name: str
    stall_after: float = 60.0  # no progress for this long → unhealthy
    critical: bool = True  # does a stall make /api/health answer 503?


class Supervisor:
    """Runs loops and restarts them; shared by everything a process runs in the background."""

    def __init__(self) -> None:
        self.loops: dict[str, Loop] = {}
        self.dead = asyncio.Event()

    def start(self, spec: LoopSpec, body: Body, *, stop: asyncio.Event) -> Loop:
        """Run ``body`` under supervision until ``stop`` is set (the body must return when it is)."""
        loop = Loop(spec.name, critical=spec.critical, stall_after=spec.stall_after)
        self.loops[spec.name] = loop
        loop._task = asyncio.create_task(self._supervise(loop, body, stop), name=spec.name)
        return loop

    def healthy(self) -> bool:
        now = time.monotonic()
        return all(loop.healthy(now) for loop in self.loops.values() if loop.critical)

    def report(self) -> dict[str, dict[str, Any]]:
        now = time.monotonic()
        return {name: loop.report(now) for name, loop in self.loops.items()}

    async def _supervise(self, loop: Loop, body: Body, stop: asyncio.Event) -> None:
        while not stop.is_set():
            loop.state = LoopState.RUNNING
            try:
                await body(loop)
            except asyncio.CancelledError:
                raise
            except INCURABLE as exc:
                loop.state, loop.last_error = LoopState.DEAD, describe(exc)
                log.critical("%s cannot run: %s (no restart can cure this)", loop.name, loop.last_error)
                self.dead.set()
                return
            except Exception as exc:
                loop.failures += 1
                loop.last_error = describe(exc)
                delay = backoff(loop.failures)
                if loop.failures == 1:
                    log.error("%s failed; restarting in %.0f s", loop.name, delay, exc_info=exc)
                else:
                    log.warning(
                        "%s failed again (%d times in a row): %s; restarting in %.0f s",
                        loop.name,
                        loop.failures,
                        loop.last_error,
                        delay,
                    )
                loop.state = LoopState.BACKING_OFF
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                loop.restarts += 1
                continue
            if not stop.is_set():
                log.warning("%s returned without being asked to stop; restarting it", loop.name)
                loop.restarts += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), BACKOFF_FIRST)
        loop.state = LoopState.STOPPED
