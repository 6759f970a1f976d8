"""The check engine and alert dispatcher of ``statusping serve``, in a process of their own.

Run as tasks on the web server's event loop, the engine only got the loop between requests: under a
stampede of requests at 10,000 monitors, checks fell to 37 % of those due (issue 12). Here ``serve``
starts ``statusping worker`` as its child, and the operating system shares the CPU between the two:

- started after the web app's migrations (the child skips them), with the same environment and
  working directory, so it reads the same settings;
- restarted with backoff (1 s doubling to 30 s) if it exits when nobody asked it to;
- stopped with SIGTERM when ``serve`` stops (its own graceful stop takes at most
  ``shutdown_grace``), killed if it is still there ``STOP_WITHIN`` seconds later;
- tied to its parent: it asks the kernel for SIGTERM when ``serve`` dies (Linux), and watches its
  parent pid elsewhere, so a SIGKILLed ``serve`` leaves no orphan engine holding the SQLite lock;
- reporting its loops through a status file the web process reads (``statusping.process_status``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger(__name__)

STOP_WITHIN = 10.0  # seconds from SIGTERM to SIGKILL
RESTART_FIRST = 1.0
RESTART_MAX = 30.0
POLL_EVERY = 0.5  # seconds between two looks at whether the child still runs
STEADY_AFTER = 60.0  # a child that ran this long before exiting restarts without the long backoff


class EngineProcess:
    """The child's handle in ``serve``: ``start`` (plain fork/exec, so ``serve`` can start it before
    its own web imports and both start in parallel), ``watch`` (restarts), ``stop``."""

    def __init__(self, status_file: Path) -> None:
        self.status_file = status_file
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = False
        self._wake: asyncio.Event | None = None
        # Every start happens on this one thread, made before serve lowers the web's CPU priority
        # (Linux keeps a nice value per thread): the engine keeps the normal priority, and the
        # kernel's parent-death signal follows a thread that lives as long as serve.
        self._spawner: ThreadPoolExecutor | None = None
        self.started_at = 0.0  # wall clock of the first start: reports from before it are a dead run's

    @staticmethod
    def status_file_of(data_dir: Path) -> Path:
        """Where the engine process reports its loops to the web process."""
        return data_dir.resolve() / "engine-status.json"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "statusping", "worker",
            "--no-migrate", "--status-file", str(self.status_file), "--parent-pid", str(os.getpid()),
        ]  # fmt: skip

    def start(self) -> None:
        """Start the child (from the main thread: the kernel's parent-death signal follows the thread
        that forked)."""
        with contextlib.suppress(OSError):
            self.status_file.unlink()  # a dead run's report must not pass for this one's
        self.started_at = time.time()
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-spawner")
        self._spawner.submit(self._spawn).result()

    def signal_stop(self) -> None:
        """Pass a stop on at once (from a signal handler too): the engine drains while the web does."""
        if self._stopping:
            return
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)

    async def stop(self) -> None:
        self.signal_stop()
        process = self._process
        if process is None:
            return
        if not await _exited(process, STOP_WITHIN):
            log.warning("the engine process did not stop within %.0f s; killing it", STOP_WITHIN)
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await _exited(process, STOP_WITHIN)
        log.info("engine process %d stopped (exit code %s)", process.pid, process.returncode)
        if self._spawner is not None:
            self._spawner.shutdown(wait=False)

    def _spawn(self) -> None:
        # Our own interpreter and arguments, no shell. It inherits stdout/stderr: one log for both.
        self._process = subprocess.Popen(self.command())  # noqa: S603
        log.info("engine process %d started", self._process.pid)

    async def watch(self) -> None:
        """Restart the child whenever it exits unasked, until :meth:`stop`."""
        self._wake = asyncio.Event()
        failures = 0
        started = time.monotonic()
        while not self._stopping:
            process = self._process
            if process is None or process.poll() is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), POLL_EVERY)
                continue
            failures = 1 if time.monotonic() - started >= STEADY_AFTER else failures + 1
            delay = min(RESTART_FIRST * 2.0 ** (failures - 1), RESTART_MAX)
            log.error(
                "engine process %d exited (code %s); restarting it in %.0f s",
                process.pid,
                process.returncode,
                delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            if self._stopping:
                return
            try:
                assert self._spawner is not None
                await asyncio.wrap_future(self._spawner.submit(self._spawn))
            except OSError as exc:  # cannot even start it: try again after the next pause
                log.error("cannot start the engine process: %s", exc)
                continue
            self.restarts += 1
            started = time.monotonic()


async def _exited(process: subprocess.Popen[bytes], within: float) -> bool:
    deadline = time.monotonic() + within
    while process.poll() is None:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def watch_parent(parent_pid: int, stop: asyncio.Event) -> asyncio.Task[None] | None:
    """In the child: stop when ``serve`` is gone. Linux also gets SIGTERM from the kernel at once."""
    _ask_for_death_signal()
    if os.getppid() != parent_pid:  # it died before we asked
        stop.set()
        return None

    async def watch() -> None:
        while not stop.is_set():
            if os.getppid() != parent_pid:
                log.warning("serve (pid %d) is gone; the engine process stops", parent_pid)
                stop.set()
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)

    return asyncio.create_task(watch(), name="parent-watch")


def _ask_for_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
