"""Writing check results: the result rows, the monitor's new state and incident changes, together.

One call records a batch in the caller's transaction, so a result is never stored without the state
change it caused (or the reverse), and the engine pays one commit per batch, not per check.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.checks import CheckOutcome
from statusping.domain.schedule import next_check_at
from statusping.domain.status import MonitorState, Status, Transition, TransitionKind, evaluate
from statusping.storage.models import Incident, Monitor
from statusping.storage.repositories.monitors import MonitorRepository

MAX_ERROR_LENGTH = 300


@dataclass(frozen=True, slots=True)
class Observation:
    monitor_id: uuid.UUID
    outcome: CheckOutcome
    checked_at: datetime
    # The lease this check ran under; None for check-now and heartbeat pings, which run unleased.
    lease_owner: str | None = None
    # Confirm a failure at once (heartbeat /fail or a missed deadline).
    immediate: bool = False


@dataclass(frozen=True, slots=True)
class Recorded:
    monitor_id: uuid.UUID
    result: dict[str, Any]
    transition: Transition | None


def state_of(monitor: Monitor) -> MonitorState:
    return MonitorState(
        status=Status(monitor.status),
        consecutive_failures=monitor.consecutive_failures,
        first_failure_at=monitor.first_failure_at,
        last_error=monitor.last_error,
    )


def result_row(obs: Observation, region: str) -> dict[str, Any]:
    outcome = obs.outcome
    return {
        "monitor_id": obs.monitor_id,
        "checked_at": obs.checked_at,
        "region": region,
        "ok": outcome.ok,
        "status_code": outcome.status_code,
        "response_ms": _ms(outcome.response_ms),
        "dns_ms": _ms(outcome.timings.dns_ms),
        "connect_ms": _ms(outcome.timings.connect_ms),
        "tls_ms": _ms(outcome.timings.tls_ms),
        "ttfb_ms": _ms(outcome.timings.ttfb_ms),
        "error_kind": outcome.error_kind.value if outcome.error_kind else None,
        "error": (outcome.error or "")[:MAX_ERROR_LENGTH] or None,
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def record(db: AsyncSession, observations: Sequence[Observation], *, region: str) -> list[Recorded]:
    repo = MonitorRepository(db)
    monitors = await repo.lock_for_recording(list({o.monitor_id for o in observations}))
    recorded: list[Recorded] = []
    for obs in observations:
        monitor = monitors.get(obs.monitor_id)
        if monitor is None or monitor.paused:
            continue  # deleted or paused while the check ran: the result belongs to nobody
        if obs.lease_owner is not None and monitor.lease_owner != obs.lease_owner:
            continue  # our lease expired and another worker took over; its result will count
        row = result_row(obs, region)
        transition = await _apply(db, repo, monitor, obs)
        recorded.append(Recorded(monitor.id, row, transition))
    await repo.insert_results([r.result for r in recorded])
    return recorded


async def _apply(
    db: AsyncSession, repo: MonitorRepository, monitor: Monitor, obs: Observation
) -> Transition | None:
    outcome = obs.outcome
    state, transition = evaluate(
        state_of(monitor),
        ok=outcome.ok,
        checked_at=obs.checked_at,
        failure_threshold=monitor.failure_threshold,
        error=outcome.error,
        immediate=obs.immediate,
    )
    monitor.status = state.status.value
    monitor.consecutive_failures = state.consecutive_failures
    monitor.first_failure_at = state.first_failure_at
    monitor.last_error = state.last_error
    monitor.last_checked_at = obs.checked_at
    monitor.last_response_ms = _ms(outcome.response_ms)
    if outcome.ssl_expires_at is not None:
        monitor.ssl_expires_at = outcome.ssl_expires_at
        monitor.ssl_issuer = outcome.ssl_issuer
    _reschedule(monitor, state, obs)
    if transition is not None:
        await _record_incident(db, repo, monitor, transition)
    return transition


def _reschedule(monitor: Monitor, state: MonitorState, obs: Observation) -> None:
    if monitor.type == "heartbeat":
        # A heartbeat is due when the next ping is late; pings move it (see services.heartbeats).
        grace = int(monitor.config.get("grace_seconds", 0))
        monitor.next_check_at = obs.checked_at + timedelta(seconds=monitor.interval_seconds + grace)
    else:
        planned = next_check_at(
            str(monitor.id),
            state,
            interval_seconds=monitor.interval_seconds,
            retry_interval_seconds=monitor.retry_interval_seconds,
            checked_at=obs.checked_at,
        )
        if obs.lease_owner is None and monitor.lease_owner is not None:
            pass  # an engine holds this monitor right now; it will reschedule when it records
        elif obs.lease_owner is None and monitor.next_check_at is not None:
            # Check-now: never push the regular check later, only pull a confirmation retry in.
            monitor.next_check_at = min(monitor.next_check_at, planned)
        else:
            monitor.next_check_at = planned
    if obs.lease_owner is not None:
        monitor.lease_owner = None
        monitor.lease_expires_at = None


async def _record_incident(
    db: AsyncSession, repo: MonitorRepository, monitor: Monitor, transition: Transition
) -> None:
    if transition.kind is TransitionKind.DOWN:
        db.add(
            Incident(
                organization_id=monitor.organization_id,
                monitor_id=monitor.id,
                started_at=transition.started_at,
                confirmed_at=transition.at,
                cause=(transition.cause or "")[:500] or None,
            )
        )
        return
    incident = await repo.open_incident(monitor.id)
    if incident is not None:
        incident.resolved_at = transition.at
