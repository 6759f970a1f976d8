"""What the background loops of a process report, for ``/api/health`` and ``/metrics``.

Under ``statusping serve`` the check engine and the alert dispatcher run in a process of their own, so
that web traffic cannot starve them (issue 12). The web process then learns their state from a small
status file the engine process rewrites every second (``StatusFileWriter``), read at most twice a
second and never sorted or queried per request (``StatusFileReader``): ``/api/health`` costs what a
static file costs. Tests and embedders that run the engine inside the web process read the live
objects instead (``LiveStatus``). Both give the same ``BackgroundStatus``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from statusping.supervisor import Supervisor

log = logging.getLogger(__name__)

WRITE_EVERY = 1.0  # seconds between two writes of the status file
READ_EVERY = 0.5  # the web process reads it at most this often
FRESH_FOR = 10.0  # a file not rewritten for this long means the engine process is gone or hung
START_GRACE = 30.0  # how long the web process waits for a first report before calling it missing
PROCESS_LOOP = "engine.process"


@dataclass(frozen=True, slots=True)
class EngineFigures:
    """The check engine's counters (``/api/health`` "engine", ``statusping_engine_*`` metrics)."""

    running: bool
    checks: int
    recorded: int
    pending: int
    lag_p99_ms: float | None
    # Regions (services.regions): this engine's, the live ones, and those whose workers fell silent
    # (an operator's warning: they no longer count towards any monitor's quorum).
    region: str = "default"
    live_regions: tuple[str, ...] = ()
    silent_regions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BackgroundStatus:
    """Every supervised loop's report (``Loop.report``), whether all critical ones are healthy, and the
    engine's figures if an engine runs."""

    loops: dict[str, dict[str, Any]]
    healthy: bool
    engine: EngineFigures | None


class StatusSource(Protocol):
    def current(self) -> BackgroundStatus | None: ...


class LiveStatus:
    """The loops of this very process (the engine embedded in the web app, or the engine process
    itself, which writes this to the status file)."""

    def __init__(self, supervisor: Supervisor, engine: Callable[[], EngineFigures] | None = None) -> None:
        self.supervisor = supervisor
        self.engine = engine

    def current(self) -> BackgroundStatus | None:
        if not self.supervisor.loops and self.engine is None:
            return None
        return BackgroundStatus(
            loops=self.supervisor.report(),
            healthy=self.supervisor.healthy(),
            engine=None if self.engine is None else self.engine(),
        )


class StatusFileWriter:
    """Rewrites ``path`` every second with the process's status (write to a temporary file, then
    rename: a reader never sees half a file); removes it on stop, so a stopped engine is not
    mistaken for a running one."""

    def __init__(self, path: Path, source: LiveStatus, *, every: float = WRITE_EVERY) -> None:
        self.path = path
        self.source = source
        self.every = every

    def write(self) -> None:
        status = self.source.current()
        body = {
            "pid": os.getpid(),
            "written_at": time.time(),
            "healthy": status.healthy if status else True,
            "loops": status.loops if status else {},
            "engine": asdict(status.engine) if status and status.engine else None,
        }
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(body, separators=(",", ":")))
        os.replace(temporary, self.path)

    async def run(self, stop: asyncio.Event) -> None:
        failed = False
        try:
            while not stop.is_set():
                try:
                    self.write()
                    failed = False
                except OSError as exc:  # a full disk must not stop the engine; health will say stale
                    if not failed:
                        log.warning("cannot write the engine status file %s: %s", self.path, exc)
                    failed = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.every)
        finally:
            with contextlib.suppress(OSError):
                self.path.unlink()


class StatusFileReader:
    """The engine process's report as the web process sees it: read at most every ``READ_EVERY``
    seconds. No report yet (within ``START_GRACE`` of the web's start) is "starting" and healthy; a
    report older than ``FRESH_FOR`` seconds, or none after the grace, is an unhealthy engine."""

    def __init__(
        self,
        path: Path,
        *,
        started: float | None = None,
        fresh_for: float = FRESH_FOR,
        start_grace: float = START_GRACE,
    ) -> None:
        self.path = path
        self.fresh_for = fresh_for
        self.start_grace = start_grace
        self.started = time.time() if started is None else started  # when the engine process started
        self._read_at = -READ_EVERY
        self._cached: BackgroundStatus | None = None

    def current(self) -> BackgroundStatus:
        now = time.monotonic()
        if self._cached is None or now - self._read_at >= READ_EVERY:
            self._cached = self._read()
            self._read_at = now
        return self._cached

    def _read(self) -> BackgroundStatus:
        now = time.time()
        try:
            body = json.loads(self.path.read_text())
            written_at = float(body["written_at"])
        except (OSError, ValueError, KeyError, TypeError):
            body, written_at = None, None
        if body is None or written_at is None or written_at < self.started:  # none, or a dead run's
            return self._absent(now, "no report from the engine process yet")
        age = now - written_at
        if age > self.fresh_for:
            return self._absent(now, f"the engine process has not reported for {age:.0f} s")
        engine = body.get("engine")
        return BackgroundStatus(
            loops=dict(body.get("loops") or {}),
            healthy=bool(body.get("healthy")),
            engine=EngineFigures(**engine) if isinstance(engine, dict) else None,
        )

    def _absent(self, now: float, why: str) -> BackgroundStatus:
        starting = now - self.started <= self.start_grace
        report = {
            "state": "starting" if starting else "missing",
            "healthy": starting,
            "critical": True,
            "progress_age_s": round(now - self.started, 1),
            "restarts": 0,
            "last_error": None if starting else why,
        }
        return BackgroundStatus(loops={PROCESS_LOOP: report}, healthy=starting, engine=None)
