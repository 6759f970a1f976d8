"""Writing check results: the result rows, the monitor's new state and incident changes, together.

One call records a batch in the caller's transaction, so a result is never stored without the state
change it caused (or the reverse), and the engine pays one commit per batch, not per check.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.domain.maintenance import active_for
from statusping.domain.rollups import DAY, HOUR, increments, split_by_bucket
from statusping.domain.schedule import next_check_at
from statusping.domain.schedule_cron import deadline_after_miss, deadline_after_ping, expectation_of
from statusping.domain.status import MonitorState, Status, Transition, TransitionKind, evaluate
from statusping.domain.text import storable_outcome
from statusping.services.alert_outbox import AlertInput, enqueue_alerts
from statusping.services.changes import Change, note_changes
from statusping.services.maintenances import windows_by_org
from statusping.services.regions import RegionCheck, judge_region_check, region_rows, save_region_rows
from statusping.storage import status_versions
from statusping.storage.models import Incident
from statusping.storage.repositories.history import ROLLUP_TABLES, HistoryRepository
from statusping.storage.repositories.monitors import MonitorRepository, MonitorRow
from statusping.storage.repositories.regions import RegionRow
from statusping.storage.repositories.results import ResultsRepository

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
    # Claimed from the recording engine's region schedule (several live regions, services.regions):
    # the check feeds that region's confirmation and the quorum decides the monitor's state.
    regional: bool = False


@dataclass(frozen=True, slots=True)
class Recorded:
    monitor_id: uuid.UUID
    result: dict[str, Any]
    transition: Transition | None


def state_of(monitor: MonitorRow) -> MonitorState:
    return MonitorState(
        status=Status(monitor.status),
        consecutive_failures=monitor.consecutive_failures,
        first_failure_at=monitor.first_failure_at,
        last_error=monitor.last_error,
        latency_streak=monitor.latency_streak,
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


def _storable(obs: Observation) -> Observation:
    outcome = storable_outcome(obs.outcome)
    # Results keep whole milliseconds; the state and incidents take the same time, so a result's
    # time and the incident it started stay equal.
    checked_at = obs.checked_at.replace(microsecond=obs.checked_at.microsecond // 1000 * 1000)
    if outcome is obs.outcome and checked_at == obs.checked_at:
        return obs
    return replace(obs, outcome=outcome, checked_at=checked_at)


async def record(db: AsyncSession, observations: Sequence[Observation], *, region: str) -> list[Recorded]:
    # Clean at the edge: a NUL byte, a lone surrogate or a megabyte of error text in one result
    # must not fail the batch (PostgreSQL refuses NUL, no driver encodes a lone surrogate).
    observations = [_storable(o) for o in observations]
    repo = MonitorRepository(db)
    monitors = await repo.lock_for_recording(list({o.monitor_id for o in observations}))
    maintenance = await windows_by_org(
        db, {m.organization_id for m in monitors.values()}, [o.checked_at for o in observations]
    )
    # Regional checks, and unleased ones (check-now): a monitor checked per region is judged by its
    # regions' quorum, so a check-now of it is one more result, never a vote that could page alone.
    regional = await region_rows(
        db, {o.monitor_id for o in observations if o.regional or o.lease_owner is None}
    )
    touched: list[RegionRow] = []
    recorded: list[Recorded] = []
    alerts: list[AlertInput] = []
    downtime: list[tuple[uuid.UUID, Transition]] = []
    changes: list[Change] = []
    shown_orgs: set[uuid.UUID] = set()
    for obs in observations:
        monitor = monitors.get(obs.monitor_id)
        if monitor is None or monitor.paused:
            continue  # deleted or paused while the check ran: the result belongs to nobody
        rows = regional.get(monitor.id) if obs.regional else None
        if obs.regional:
            schedule = (rows or {}).get(region)
            if schedule is None or schedule.lease_owner != obs.lease_owner:
                continue  # the region's row went (region silent, monitor moved) or was taken over
            touched.append(schedule)
        elif obs.lease_owner is not None and monitor.lease_owner != obs.lease_owner:
            continue  # our lease expired and another worker took over; its result will count
        elif monitor.id in regional:
            recorded.append(Recorded(monitor.id, result_row(obs, region), None))
            _note_check(monitor, obs)
            continue
        row = result_row(obs, region)
        windows = maintenance.get(monitor.organization_id)
        in_maintenance = windows is not None and active_for(windows, str(monitor.id), obs.checked_at)
        before = monitor.status
        transition = await _apply(db, repo, monitor, obs, in_maintenance, rows, region)
        if monitor.status != before:  # its public pages show another status now
            shown_orgs.add(monitor.organization_id)
        if monitor.status != before and not in_maintenance:  # dashboards show maintenance then
            changes.append(Change(monitor.organization_id, monitor.id, monitor.status))
        if transition is not None and transition.kind is TransitionKind.UP:
            downtime.append((monitor.id, transition))
        recorded.append(Recorded(monitor.id, row, transition))
        if not in_maintenance:  # a planned window sends no alerts
            alerts.append(AlertInput(monitor, obs.outcome, transition, obs.checked_at))
    results = [r.result for r in recorded]
    await ResultsRepository(db).insert(results, {m.id: m.num for m in monitors.values()})
    await repo.save_states([monitors[r.monitor_id] for r in recorded])
    if touched:
        await save_region_rows(db, touched)
    # In the same transaction, so open dashboards on every node learn of exactly what was committed.
    await note_changes(db, changes, datetime.now(UTC))
    await _add_to_rollups(db, results, downtime, region)
    await status_versions.bump(db, shown_orgs)  # every node's status page cache sees it at commit
    # Outbox rows in the same transaction as the state change: an alert is never lost or invented.
    await enqueue_alerts(db, alerts, datetime.now(UTC))
    return recorded


async def _add_to_rollups(
    db: AsyncSession,
    results: list[dict[str, Any]],
    downtime: list[tuple[uuid.UUID, Transition]],
    region: str,
) -> None:
    """Keep the hourly and daily buckets current as results arrive: no later rescans of raw rows."""
    history = HistoryRepository(db)
    for unit, table in ((HOUR, ROLLUP_TABLES["hourly"]), (DAY, ROLLUP_TABLES["daily"])):
        rows = increments(results, unit)
        for monitor_id, transition in downtime:
            rows += [
                {"monitor_id": monitor_id, "region": region, "bucket_start": bucket,
                 "downtime_seconds": seconds}
                for bucket, seconds in split_by_bucket(transition.started_at, transition.at, unit)
            ]  # fmt: skip
        await history.add_to_rollups(table, _merge_keys(rows))


def _merge_keys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per bucket key: an upsert batch must not touch the same bucket twice."""
    merged: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
    for row in rows:
        key = (row["monitor_id"], row["region"], row["bucket_start"])
        target = merged.get(key)
        if target is None:
            merged[key] = row  # rows are built for this batch alone: summed in place
            continue
        for name, value in row.items():
            if name in ("monitor_id", "region", "bucket_start") or value is None:
                continue
            if name == "response_min":
                target[name] = value if target.get(name) is None else min(target[name], value)
            elif name == "response_max":
                target[name] = value if target.get(name) is None else max(target[name], value)
            else:
                target[name] = target.get(name, 0) + value
    return list(merged.values())


async def _apply(
    db: AsyncSession,
    repo: MonitorRepository,
    monitor: MonitorRow,
    obs: Observation,
    in_maintenance: bool,
    regions: dict[str, RegionRow] | None = None,
    region: str = "",
) -> Transition | None:
    outcome = obs.outcome
    retried = state_of(monitor).confirming  # this check was a confirmation retry
    # Degraded confirms over as many checks as an outage does (docs/decisions.md).
    degraded_after = monitor.failure_threshold if monitor.degraded_ms is not None else None
    if regions is not None:  # one region's check of a monitor checked from several
        check = RegionCheck(
            region=region,
            ok=outcome.ok,
            checked_at=obs.checked_at,
            error=outcome.error,
            response_ms=_ms(outcome.response_ms),
            slow=is_slow(monitor.degraded_ms, outcome),
            degraded_after=degraded_after,
            maintenance=in_maintenance,
        )
        state, transition = judge_region_check(state_of(monitor), monitor, regions, check)
    else:
        state, transition = evaluate(
            state_of(monitor),
            ok=outcome.ok,
            checked_at=obs.checked_at,
            failure_threshold=monitor.failure_threshold,
            error=outcome.error,
            immediate=obs.immediate,
            maintenance=in_maintenance,
            slow=is_slow(monitor.degraded_ms, outcome),
            degraded_after=degraded_after,
        )
    monitor.status = state.status.value
    monitor.consecutive_failures = state.consecutive_failures
    monitor.first_failure_at = state.first_failure_at
    monitor.last_error = state.last_error
    monitor.latency_streak = state.latency_streak
    monitor.last_checked_at = obs.checked_at
    monitor.last_response_ms = _ms(outcome.response_ms)
    if outcome.ssl_expires_at is not None:
        monitor.ssl_expires_at = outcome.ssl_expires_at
        monitor.ssl_issuer = outcome.ssl_issuer
    if regions is None:  # a region's own schedule was moved by judge_region_check
        _reschedule(monitor, state, obs, after_retry=retried)
    if transition is not None and transition.kind.is_outage:  # degraded is no outage: no incident
        await _record_incident(db, repo, monitor, transition)
    return transition


def _note_check(monitor: MonitorRow, obs: Observation) -> None:
    """A check-now of a monitor checked per region: shown as its latest check, state unchanged."""
    monitor.last_checked_at = obs.checked_at
    monitor.last_response_ms = _ms(obs.outcome.response_ms)
    if obs.outcome.ssl_expires_at is not None:
        monitor.ssl_expires_at = obs.outcome.ssl_expires_at
        monitor.ssl_issuer = obs.outcome.ssl_issuer


def is_slow(degraded_ms: int | None, outcome: CheckOutcome) -> bool:
    """A successful check slower than the monitor's degraded threshold."""
    return (
        degraded_ms is not None
        and outcome.ok
        and outcome.response_ms is not None
        and outcome.response_ms > degraded_ms
    )


def _reschedule(monitor: MonitorRow, state: MonitorState, obs: Observation, *, after_retry: bool) -> None:
    if monitor.type == "heartbeat":
        # A heartbeat is due when the next ping is late; pings move it (see services.heartbeats),
        # a recorded miss moves it to the deadline of the following expected ping.
        expect = expectation_of(monitor.interval_seconds, monitor.config)
        missed = obs.outcome.error_kind is ErrorKind.HEARTBEAT_MISSED
        deadline = deadline_after_miss if missed else deadline_after_ping
        monitor.next_check_at = deadline(expect, obs.checked_at)
    else:
        planned = next_check_at(
            str(monitor.id),
            state,
            interval_seconds=monitor.interval_seconds,
            retry_interval_seconds=monitor.retry_interval_seconds,
            checked_at=obs.checked_at,
            after_retry=after_retry,
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
    db: AsyncSession, repo: MonitorRepository, monitor: MonitorRow, transition: Transition
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
