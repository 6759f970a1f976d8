"""One supervisor for every long-running loop (engine claim/record/housekeeping/lease, dispatcher).

A loop that raises is restarted after a backoff that doubles from 1 s to 5 s: a transient database
error never ends monitoring. Only an error no restart can cure (a bad database URL, a missing driver)
leaves a loop dead. Each loop reports its state, the time of its last progress, its restarts and its
last error, which ``/api/health`` turns into 200 or 503.

The log says what an operator needs and no more: a loop that loses the database logs one line (no
traceback: a refused connection is not a bug) and one when the database is back, with how long it was
away; any other failure logs its traceback once, then a line only when the error changes or once a
minute while it lasts. A 30 s database outage is two lines per loop, not a traceback per second.
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
# While a loop keeps failing with the same error, remind the log this often.
REMIND_EVERY = 60.0
# Driver errors (by class name, anywhere in an exception's chain) that mean "the database server is
# away or went away", not "this statement is wrong": asyncpg's, and SQLAlchemy's disconnect errors.
_UNREACHABLE_NAMES = frozenset(
    {
        "PostgresConnectionError",
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "OperatorInterventionError",  # AdminShutdownError: the server is shutting down
        "ConnectionRejectionError",
        "DisconnectionError",
        "InterfaceError",
    }
)


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


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached (refused, reset, timed out, shutting down),
    looking through SQLAlchemy's wrapper (``.orig``) and the ``__cause__``/``__context__`` chain."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (OSError, TimeoutError)):  # ConnectionRefusedError, reset, socket timeout
            return True
        if getattr(current, "connection_invalidated", False):  # SQLAlchemy saw the connection die
            return True
        if any(cls.__name__ in _UNREACHABLE_NAMES for cls in type(current).__mro__):
            return True
        orig = getattr(current, "orig", None)
        pending += [orig if isinstance(orig, BaseException) else None, current.__cause__, current.__context__]
    return False


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
        self.failing_since: float | None = None  # monotonic time of the first failure in a row
        self.lost_database = False  # the failures in a row began with the database out of reach
        self.last_logged = 0.0  # monotonic time of the last line logged about them
        self.last_error: str | None = None
        self._task: asyncio.Task[None] | None = None

    def progress(self) -> None:
        """Called by the body whenever it completed a unit of work (a poll counts, even an empty one)."""
        self.last_progress = now = time.monotonic()
        if self.failures:
            away = now - (self.failing_since or now)
            if self.lost_database:
                log.warning("%s has the database back after %.1f s", self.name, away)
            else:
                log.info("%s recovered after %d failure(s) in %.1f s", self.name, self.failures, away)
            self.failures = 0
            self.failing_since = None
            self.lost_database = False

    def failed(self, exc: BaseException, delay: float) -> None:
        """Count a failure in a row and log it as the module docstring says."""
        now = time.monotonic()
        error = describe(exc)
        self.failures += 1
        previous, self.last_error = self.last_error, error
        if self.failures == 1:
            self.failing_since = self.last_logged = now
            self.lost_database = database_unreachable(exc)
            if self.lost_database:
                log.warning(
                    "%s lost the database (%s); retrying every %.0f s at most", self.name, error, BACKOFF_MAX
                )
            else:
                log.error("%s failed; restarting in %.0f s", self.name, delay, exc_info=exc)
            return
        # A refused connection's message varies (addresses, ports): while the database is away it is
        # one outage, not a new error each time.
        changed = error != previous and not (self.lost_database and database_unreachable(exc))
        if changed or now - self.last_logged >= REMIND_EVERY:
            self.last_logged = now
            log.warning(
                "%s still failing (%d times in a row, for %.0f s): %s",
                self.name,
                self.failures,
                now - (self.failing_since or now),
                error,
            )

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
                delay = backoff(loop.failures + 1)
                loop.failed(exc, delay)
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
