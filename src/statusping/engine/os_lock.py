"""A lock the operating system holds for a process and drops when the process ends, however it ends.

On SQLite one engine runs at a time. A lease row alone cannot tell a dead engine from a slow one, so a
restarted engine had to wait for a SIGKILLed one's 30 s lease to run out. An exclusive ``flock`` on a
file next to the database file is released by the kernel the moment its holder dies: whoever holds
it is the only live engine on this database, and may take the lease row over at once.

``flock`` locks belong to an open file description, so two engines in one process exclude each
other too. Where ``fcntl`` does not exist (Windows), ``EngineLock.try_acquire`` returns None and the
engine falls back to the lease's expiry.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


class EngineLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._unusable = fcntl is None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool | None:
        """True if this process holds the lock (now or already), False if a live process holds it,
        None if no OS lock can be had here (no fcntl, a read-only directory): rely on the lease."""
        if self._fd is not None:
            return True
        if self._unusable:
            return None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by child processes
        except OSError as exc:
            log.warning("cannot open the engine lock %s (%s); relying on the lease's expiry", self.path, exc)
            self._unusable = True
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except OSError as exc:  # a file system without flock
            os.close(fd)
            log.warning("cannot lock %s (%s); relying on the lease's expiry", self.path, exc)
            self._unusable = True
            return None
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the lock
            self._fd = None
