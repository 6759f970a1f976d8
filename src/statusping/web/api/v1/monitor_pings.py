"""A heartbeat's ping log over JSON: what each ping to its URL carried (docs/decisions.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from statusping.services.heartbeats import recent_pings
from statusping.storage.models import Ping
from statusping.storage.repositories.pings import KEEP_PINGS
from statusping.web.deps import CurrentAccount, CurrentMonitor, Db

router = APIRouter(prefix="/monitors", tags=["monitors"])


class PingOut(BaseModel):
    received_at: datetime
    kind: str  # success | fail | start | log
    exit_status: int | None
    duration_ms: float | None  # since the run's /start
    method: str
    body: str | None  # the first 10 KB of the request body
    body_truncated: bool
    user_agent: str | None
    remote_addr: str | None

    @classmethod
    def of(cls, ping: Ping) -> PingOut:
        return cls(
            received_at=ping.received_at,
            kind=ping.kind,
            exit_status=ping.exit_status,
            duration_ms=ping.duration_ms,
            method=ping.method,
            body=ping.body,
            body_truncated=ping.body_truncated,
            user_agent=ping.user_agent,
            remote_addr=ping.remote_addr,
        )


@router.get("/{monitor_id}/pings")
async def list_pings(
    monitor: CurrentMonitor,
    account: CurrentAccount,
    db: Db,
    limit: Annotated[int, Query(ge=1, le=KEEP_PINGS)] = 20,
) -> list[PingOut]:
    """The newest pings to this heartbeat's URL, newest first (the last 100 are kept); empty for
    other monitor types."""
    return [PingOut.of(p) for p in await recent_pings(db, monitor.id, limit=limit)]
