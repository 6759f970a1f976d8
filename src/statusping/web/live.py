"""Live dashboards: one poller per web process follows the change record and fans it out to this
process's Server-Sent-Event streams, per organization.

The change record (``monitor_changes``) is written by whoever changes a monitor's status, in the
same transaction, so every web node sees every change whichever node or worker made it. The
poller runs only while a stream is open and reads ``WHERE id > cursor`` about once a second: one
small query per process, however many dashboards are open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from statusping.services import changes as change_record
from statusping.services import dashboard

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5  # a change reaches open dashboards in about a quarter second on average
HEARTBEAT_SECONDS = 15.0
READ_LIMIT = 500
QUEUE_LIMIT = 1000
REPLAY_LIMIT = 500


@dataclass(frozen=True, slots=True)
class LiveEvent:
    kind: str  # "change" | "summary" | "resync"
    data: dict[str, Any]
    id: int | None = None


@dataclass(eq=False)
class Subscription:
    organization_id: uuid.UUID
    queue: asyncio.Queue[LiveEvent | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))

    def offer(self, event: LiveEvent | None) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # A stream that cannot keep up is told to reload its list instead of growing memory.
            with contextlib.suppress(asyncio.QueueEmpty):
                while True:
                    self.queue.get_nowait()
            self.queue.put_nowait(LiveEvent("resync", {}) if event is not None else None)


def change_event(row: Any) -> LiveEvent:
    at: datetime = row.at
    return LiveEvent(
        "change",
        {"monitor_id": str(row.monitor_id), "status": row.status, "at": at.astimezone(UTC).isoformat()},
        id=int(row.id),
    )


class LiveHub:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        poll_seconds: float = POLL_SECONDS,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds  # a comment this often keeps proxies from closing
        self._subscribers: dict[uuid.UUID, set[Subscription]] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._starting = asyncio.Lock()
        self.closed = False

    @contextlib.asynccontextmanager
    async def subscribe(self, org_id: uuid.UUID) -> AsyncIterator[Subscription]:
        subscription = Subscription(org_id)
        if self.closed:
            subscription.offer(None)
        else:
            async with self._starting:
                if self._task is None or self._task.done():
                    # The cursor starts before the caller replays what it missed: nothing falls between.
                    async with self.sessionmaker() as db:
                        cursor = change_record.ChangeCursor(await change_record.last_change_id(db))
                    self._task = asyncio.create_task(self._run(cursor), name="live-dashboard-poller")
                self._subscribers.setdefault(org_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            group = self._subscribers.get(org_id)
            if group is not None:
                group.discard(subscription)
                if not group:
                    del self._subscribers[org_id]

    def close(self) -> None:
        """End every open stream now (server shutdown: uvicorn waits for streams to finish)."""
        self.closed = True
        self._wake.set()
        for group in self._subscribers.values():
            for subscription in group:
                subscription.offer(None)

    async def aclose(self) -> None:
        self.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def replay(self, org_id: uuid.UUID, after: int) -> list[LiveEvent]:
        """What an organization missed since ``after`` (a page's render, a reconnect's last id)."""
        async with self.sessionmaker() as db:
            rows = await change_record.changes_after(db, after, limit=REPLAY_LIMIT + 1, org_id=org_id)
            if not rows:
                return []
            if len(rows) > REPLAY_LIMIT:
                return [LiveEvent("resync", {})]
            events = [change_event(row) for row in rows]
            counts = await dashboard.summary(db, org_id, datetime.now(UTC))
        return [*events, LiveEvent("summary", counts)]

    async def _run(self, cursor: change_record.ChangeCursor) -> None:
        failures = 0
        while self._subscribers and not self.closed:
            full = False
            try:
                async with self.sessionmaker() as db:
                    full = await self._poll(db, cursor)
                failures = 0
            except Exception:
                failures += 1
                # The database may be away for a while; say so once, then keep trying quietly.
                (log.exception if failures == 1 else log.debug)("live dashboard poll failed")
            if not full:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds * min(failures + 1, 10))

    async def _poll(self, db: AsyncSession, cursor: change_record.ChangeCursor) -> bool:
        rows = await change_record.changes_after(db, cursor.floor, limit=READ_LIMIT)
        fresh = cursor.accept(row.id for row in rows)
        by_org: dict[uuid.UUID, list[LiveEvent]] = {}
        for row in rows:
            if row.id in fresh and row.organization_id in self._subscribers:
                by_org.setdefault(row.organization_id, []).append(change_event(row))
        at = datetime.now(UTC)
        for org_id, events in by_org.items():
            events.append(LiveEvent("summary", await dashboard.summary(db, org_id, at)))
            for subscription in list(self._subscribers.get(org_id, ())):
                for event in events:
                    subscription.offer(event)
        return len(rows) >= READ_LIMIT


class Server(uvicorn.Server):
    """uvicorn waits for open responses before it shuts the app down, and an event stream never
    ends by itself: end the streams first, so a stop takes no longer with dashboards open."""

    async def shutdown(self, sockets: Any = None) -> None:
        app = self.config.app
        hub = getattr(getattr(app, "state", None), "live", None)
        if isinstance(hub, LiveHub):
            hub.close()
        await super().shutdown(sockets)
