"""The change record open dashboards follow: one row per change of a monitor's shown status.

Rows are written in the transaction that makes the change (recording a check, pause, resume,
delete), so a web node that reads ``monitor_changes`` sees exactly what was committed, in any
process, on any node. Nodes follow the record by its growing id (``ChangeCursor``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.models import MonitorChange
from statusping.storage.repositories.dashboard import DashboardRepository

DELETED = "deleted"
# Longer than any transaction that writes a change stays open, so a late commit is still seen.
GAP_PATIENCE_SECONDS = 10.0
MAX_TRACKED_GAP = 10_000


@dataclass(frozen=True, slots=True)
class Change:
    organization_id: uuid.UUID
    monitor_id: uuid.UUID
    status: str


async def note_changes(db: AsyncSession, changes: Iterable[Change], at: datetime) -> None:
    rows = [
        {"organization_id": c.organization_id, "monitor_id": c.monitor_id, "status": c.status, "at": at}
        for c in changes
    ]
    await DashboardRepository(db).add_changes(rows)


async def changes_after(
    db: AsyncSession, after: int, *, limit: int, org_id: uuid.UUID | None = None
) -> Sequence[MonitorChange]:
    return await DashboardRepository(db).changes_after(after, limit=limit, org_id=org_id)


async def last_change_id(db: AsyncSession) -> int:
    return await DashboardRepository(db).last_change_id()


class ChangeCursor:
    """Where a reader of the change record stands, and which ids it has already handed on.

    Ids are handed out when a transaction inserts its row but become visible when it commits, and
    on PostgreSQL those orders differ: id 41 may appear after 42 was read. The cursor therefore
    keeps reading from just below the lowest missing id for up to ``GAP_PATIENCE_SECONDS``
    (a rolled-back insert leaves a gap that never fills) and hands each id on once.
    """

    def __init__(self, start: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.floor = start  # every id at or below it is settled
        self._seen: set[int] = set()
        self._gaps: dict[int, float] = {}
        self._clock = clock

    def accept(self, ids: Iterable[int]) -> set[int]:
        """Take the ids read above ``floor``; answer those not handed on before."""
        fresh = {i for i in ids if i > self.floor and i not in self._seen}
        self._seen |= fresh
        top = max(self._seen, default=self.floor)
        now = self._clock()
        if top - self.floor <= MAX_TRACKED_GAP:
            for missing in range(self.floor + 1, top):
                if missing not in self._seen:
                    self._gaps.setdefault(missing, now)
        self._gaps = {
            i: since
            for i, since in self._gaps.items()
            if i not in self._seen and now - since < GAP_PATIENCE_SECONDS
        }
        self.floor = min(self._gaps) - 1 if self._gaps else top
        self._seen = {i for i in self._seen if i > self.floor}
        return fresh
