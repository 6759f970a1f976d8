"""Pings from cron jobs and workers (`/ping/{token}`): each one is a check result."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.domain.errors import NotFound
from statusping.services.recording import Observation, record
from statusping.storage.repositories.monitors import MonitorRepository


class PingKind(StrEnum):
    SUCCESS = "success"
    FAIL = "fail"
    START = "start"


async def ping(db: AsyncSession, token: str, kind: PingKind, *, region: str, now: datetime) -> None:
    monitor = await MonitorRepository(db).by_heartbeat_token(token)
    if monitor is None:
        raise NotFound("unknown ping URL")
    if monitor.paused:
        return
    if kind is PingKind.START:
        monitor.run_started_at = now
        return
    duration_ms = None
    if monitor.run_started_at is not None:
        duration_ms = (now - monitor.run_started_at).total_seconds() * 1000
        monitor.run_started_at = None
    if kind is PingKind.SUCCESS:
        outcome = CheckOutcome(ok=True, response_ms=duration_ms)
    else:
        outcome = CheckOutcome.failure(
            ErrorKind.OTHER, "the job reported a failure (/fail)", response_ms=duration_ms
        )
    monitor.last_ping_at = now
    # The recorder moves the deadline to now + interval + grace, like any heartbeat result.
    await record(
        db,
        [Observation(monitor.id, outcome, now, immediate=kind is PingKind.FAIL)],
        region=region,
    )
