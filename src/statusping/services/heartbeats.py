"""Pings from cron jobs and workers: healthchecks' ping protocol (PRODUCT.md §5).

``/ping/{token}`` is a success, ``/fail`` and a non-zero ``/{exit_status}`` a failure that marks the
monitor down at once (the job itself said so: no blip to rule out), ``/start`` begins a run whose
duration the next success or failure records, ``/log`` only keeps the body. Every ping, whatever
its kind, is kept in the monitor's ping log with the first 10 KB of its body; success and failure
pings are also check results that drive the state machine.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.domain.errors import NotFound, StatusPingError
from statusping.domain.text import storable_text
from statusping.services.recording import Observation, record
from statusping.storage.models import Monitor, Ping
from statusping.storage.repositories.monitors import MonitorRepository
from statusping.storage.repositories.pings import PingRepository

# healthchecks' PING_BODY_LIMIT: the first 10,000 bytes of a ping's body are kept.
BODY_LIMIT = 10_000
MAX_EXIT_STATUS = 255
# A /start older than this is a run that never reported: its duration would be meaningless.
MAX_RUN = timedelta(hours=72)


class PingKind(StrEnum):
    SUCCESS = "success"
    FAIL = "fail"
    START = "start"
    LOG = "log"


@dataclass(frozen=True, slots=True)
class PingRequest:
    """What arrived at a ping URL, as the web layer read it."""

    kind: PingKind
    method: str
    body: bytes = b""
    exit_status: int | None = None
    user_agent: str | None = None
    remote_addr: str | None = None


def kind_of_exit_status(exit_status: int) -> PingKind:
    """0 is success, 1–255 failure (a shell's ``$?``); anything else is refused, as healthchecks does."""
    if not 0 <= exit_status <= MAX_EXIT_STATUS:
        raise StatusPingError("invalid url format: an exit status is 0 to 255")  # 400, as healthchecks
    return PingKind.SUCCESS if exit_status == 0 else PingKind.FAIL


def body_text(body: bytes) -> tuple[str | None, bool]:
    """The stored log: the first ``BODY_LIMIT`` bytes as text, and whether more was cut off."""
    if not body:
        return None, False
    kept = body[:BODY_LIMIT].decode("utf-8", errors="replace")
    # Control characters go (PostgreSQL refuses NUL); tabs and newlines stay, as a log needs.
    return storable_text(kept, BODY_LIMIT), len(body) > BODY_LIMIT


async def ping(db: AsyncSession, token: str, request: PingRequest, *, region: str, now: datetime) -> None:
    monitor = await MonitorRepository(db).by_heartbeat_token(token)
    if monitor is None:
        raise NotFound("unknown ping URL")
    duration_ms = _duration(monitor, request.kind, now)
    text, truncated = body_text(request.body)
    await PingRepository(db).add(
        Ping(
            monitor_id=monitor.id,
            received_at=now,
            kind=request.kind.value,
            exit_status=request.exit_status,
            duration_ms=None if duration_ms is None else round(duration_ms, 2),
            method=request.method[:8],
            body=text,
            body_truncated=truncated,
            user_agent=(request.user_agent or "")[:200] or None,
            remote_addr=(request.remote_addr or "")[:64] or None,
        )
    )
    if monitor.paused or request.kind is PingKind.LOG:
        return  # kept in the log; a paused monitor's state and a log line change nothing
    if request.kind is PingKind.START:
        monitor.run_started_at = now
        return
    monitor.run_started_at = None
    monitor.last_ping_at = now
    # The recorder moves the deadline to the next expected ping + grace, like any heartbeat result.
    await record(
        db,
        [Observation(monitor.id, _outcome(request, duration_ms), now, immediate=_fails(request))],
        region=region,
    )


def _duration(monitor: Monitor, kind: PingKind, now: datetime) -> float | None:
    started = monitor.run_started_at
    if kind not in (PingKind.SUCCESS, PingKind.FAIL) or started is None or now - started > MAX_RUN:
        return None
    return max(0.0, (now - started).total_seconds() * 1000)


def _fails(request: PingRequest) -> bool:
    return request.kind is PingKind.FAIL


def _outcome(request: PingRequest, duration_ms: float | None) -> CheckOutcome:
    if request.kind is PingKind.SUCCESS:
        return CheckOutcome(ok=True, response_ms=duration_ms)
    if request.exit_status is not None:
        message = f"the job exited with status {request.exit_status}"
    else:
        message = "the job reported a failure (/fail)"
    return CheckOutcome.failure(ErrorKind.OTHER, message, response_ms=duration_ms)


async def recent_pings(db: AsyncSession, monitor_id: uuid.UUID, *, limit: int) -> Sequence[Ping]:
    return await PingRepository(db).recent(monitor_id, limit=limit)
