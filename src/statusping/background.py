"""What every long-running loop of ours shares (the check engine, the alert dispatcher): an owner id
for its leases, a stop signal that also cuts short its sleeps, short transactions, and the supervisor
that restarts its loops when they fail (``statusping.supervisor``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from statusping.supervisor import Supervisor


def new_owner_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class BackgroundLoop:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        owner: str | None = None,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.owner = owner or new_owner_id()
        # One per process, shared with the other loops, so /api/health sees them all.
        self.supervisor = supervisor or Supervisor()
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as db, db.begin():
            yield db

    async def _sleep(self, seconds: float) -> None:
        """Wait, but wake at once when asked to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
