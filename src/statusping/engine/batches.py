"""Recording a batch so that one bad observation cannot hold up the others.

Results are cleaned before they are stored (``domain/text.py``), so this is the safety net for what
cleaning did not foresee: when a batch fails for a reason that is not the database being away, it is
split in halves until the failing observation is alone; that one is recorded as an ``other`` error
with a generic message (or, if even that fails while its neighbours were stored, dropped with a log
line), and every other result of the batch is kept.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.services.recording import Observation, record
from statusping.supervisor import describe

log = logging.getLogger(__name__)

UNSTORABLE = "this check's result could not be stored; it was recorded as an error"
# A lone observation whose plain-error form fails this many times is dropped, so that not even a bug
# in recording one monitor can block the queue for all the others.
GIVE_UP_AFTER = 3

Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]
# The database is away, locked or its schema is not what we expect: splitting cannot help, and
# every half would fail too. Wait and retry the whole batch instead.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.ProgrammingError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)


def unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, UNAVAILABLE)


def generic(obs: Observation) -> Observation:
    outcome = CheckOutcome.failure(ErrorKind.OTHER, UNSTORABLE)
    return dataclasses.replace(obs, outcome=outcome)


class BatchRecorder:
    """Stores observations taken from the front of ``pending``, removing each as soon as it is stored.

    ``pending`` is shared with the checks that append to its end; only this class removes, and only
    from the front, so a failure half-way leaves exactly the unstored observations queued.
    """

    def __init__(self, transaction: Transaction, pending: list[Observation], *, region: str) -> None:
        self.transaction = transaction
        self.pending = pending
        self.region = region
        self.stored = 0
        self.substituted = 0
        self.dropped = 0
        self._stuck: tuple[Observation, int] | None = None
        self.on_stored: Callable[[], None] = lambda: None  # told after every stored part

    async def flush(self, batch_size: int) -> None:
        """Store everything pending, batch by batch; raises if the database is unavailable."""
        while self.pending:
            batch = self.pending[:batch_size]
            await self._store(batch, kept_any=False)

    async def _store(self, batch: Sequence[Observation], *, kept_any: bool) -> bool:
        """Store ``batch`` (a prefix of pending) or isolate what spoils it; True if anything was kept."""
        try:
            await self._record(batch)
        except Exception as exc:
            if unavailable(exc):
                raise
            if len(batch) > 1:
                middle = len(batch) // 2
                kept_left = await self._store(batch[:middle], kept_any=kept_any)
                kept_right = await self._store(batch[middle:], kept_any=kept_any or kept_left)
                return kept_left or kept_right
            await self._substitute(batch[0], exc, kept_any=kept_any)
            return kept_any
        self._done(len(batch))
        self.stored += len(batch)
        return True

    async def _substitute(self, obs: Observation, exc: Exception, *, kept_any: bool) -> None:
        log.error(
            "the result of monitor %s checked at %s cannot be stored (%s); recording it as an error",
            obs.monitor_id,
            obs.checked_at,
            describe(exc),
        )
        try:
            await self._record([generic(obs)])
        except Exception as again:
            tries = self._stuck[1] + 1 if self._stuck and self._stuck[0] is obs else 1
            if unavailable(again) or (not kept_any and tries < GIVE_UP_AFTER):
                # Nothing of this batch could be stored, even a plain error: the database is the
                # likelier problem, not this result. Keep it and let the caller retry later.
                self._stuck = (obs, tries)
                raise
            log.error(
                "dropping the result of monitor %s: even a plain error failed (%s)",
                obs.monitor_id,
                describe(again),
            )
            self.dropped += 1
        else:
            self.substituted += 1
        self._done(1)

    async def _record(self, batch: Sequence[Observation]) -> None:
        async with self.transaction() as db:
            await record(db, batch, region=self.region)

    def _done(self, count: int) -> None:
        del self.pending[:count]
        self.on_stored()
