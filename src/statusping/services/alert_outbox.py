"""Turning recorded checks into outbox rows, inside the recorder's transaction.

The engine never sends anything: it applies ``domain.alerts`` and writes one ``AlertEvent`` plus a
``Delivery`` per channel, so the state change and the promise to tell someone commit together or
not at all. The dispatcher (notifications/) delivers them.

Most checks alert nobody, so this costs nothing for them: only checks that changed state, keep a
monitor down (reminders) or carry a certificate inside a warning step are looked at, and those
cost one query per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.alerts import Alert, AlertState, CheckFacts, EventKind, decide, tls_may_alert
from statusping.domain.checks import CheckOutcome
from statusping.domain.monitors import MonitorType, target_of
from statusping.domain.status import Transition
from statusping.services.subscribers import OutageChange, notify_outages
from statusping.storage.models import MonitorAlertState
from statusping.storage.repositories.monitors import MonitorRow
from statusping.storage.repositories.outbox import AlertTargets, OutboxRepository

PAYLOAD_VERSION = 1


@dataclass(frozen=True, slots=True)
class AlertInput:
    monitor: MonitorRow  # with its state as this check left it
    outcome: CheckOutcome
    transition: Transition | None
    checked_at: datetime


def may_alert(entry: AlertInput, now: datetime) -> bool:
    monitor = entry.monitor
    if entry.transition is not None or monitor.status == "down":
        return True
    return tls_may_alert(monitor.config.get("ssl_expiry_days"), entry.outcome.ssl_expires_at, now)


async def enqueue_alerts(db: AsyncSession, entries: Sequence[AlertInput], now: datetime) -> None:
    # Status page subscribers hear of public outages too, from the same outbox (services/subscribers).
    outages = [
        _outage(e.monitor, e.transition) for e in entries if e.transition and e.transition.kind.is_outage
    ]
    await notify_outages(db, outages, now)
    candidates = [e for e in entries if may_alert(e, now)]
    if not candidates:
        return
    repo = OutboxRepository(db)
    targets = await repo.alert_targets([e.monitor.id for e in candidates])
    for entry in candidates:
        found = targets.get(entry.monitor.id)
        if found is not None:  # a monitor without channels alerts nobody
            await _enqueue_one(repo, entry, found, now)


async def _enqueue_one(repo: OutboxRepository, entry: AlertInput, found: AlertTargets, now: datetime) -> None:
    monitor = entry.monitor
    row = found.state
    if row is None:
        row = MonitorAlertState(monitor_id=monitor.id, tls_steps_sent=[], window_count=0, suppressed=0)
        repo.db.add(row)
        found.state = row  # a second check of this monitor in the batch must not add another row
    state = _state_of(row)
    decision = decide(_facts(entry), state, now)
    if decision.state != state:
        _store(row, decision.state)
    for alert in decision.alerts:
        event, _ = repo.add_event(
            organization_id=monitor.organization_id,
            monitor_id=monitor.id,
            kind=alert.kind.value,
            payload=event_payload(monitor, entry, alert),
            channel_ids=found.channel_ids,
            now=now,
            deliver_at=alert.deliver_at,
        )
        if alert.kind is EventKind.FLAPPING:
            row.summary_event_id = event.id
    if decision.held_back and not decision.opened_summary and row.summary_event_id is not None:
        await repo.count_into_summary(row.summary_event_id, decision.state.suppressed)


def _outage(monitor: MonitorRow, transition: Transition) -> OutageChange:
    return OutageChange(monitor.id, transition.kind.value, transition.at, transition.started_at)


def _facts(entry: AlertInput) -> CheckFacts:
    monitor, transition = entry.monitor, entry.transition
    return CheckFacts(
        status=monitor.status,
        transition=transition.kind.value if transition else None,
        transition_at=transition.at if transition else None,
        started_at=transition.started_at if transition else monitor.first_failure_at,
        ssl_expiry_days=monitor.config.get("ssl_expiry_days"),
        ssl_expires_at=entry.outcome.ssl_expires_at,
        degraded_alerts=monitor.degraded_alerts,
    )


def _state_of(row: MonitorAlertState) -> AlertState:
    return AlertState(
        reminder_minutes=row.reminder_minutes,
        last_down_alert_at=row.last_down_alert_at,
        tls_expires_at=row.tls_expires_at,
        tls_steps_sent=tuple(row.tls_steps_sent or ()),
        window_started_at=row.window_started_at,
        window_count=row.window_count or 0,
        suppressed=row.suppressed or 0,
    )


def _store(row: MonitorAlertState, state: AlertState) -> None:
    row.last_down_alert_at = state.last_down_alert_at
    row.tls_expires_at = state.tls_expires_at
    row.tls_steps_sent = list(state.tls_steps_sent)
    row.window_started_at = state.window_started_at
    row.window_count = state.window_count
    row.suppressed = state.suppressed


def event_payload(monitor: MonitorRow, entry: AlertInput, alert: Alert) -> dict[str, Any]:
    """The event as docs/webhooks.md documents it (the sender adds ``monitor.url``)."""
    outcome = entry.outcome
    failing = alert.kind in (EventKind.DOWN, EventKind.REMINDER)
    cause = (entry.transition.cause if entry.transition else None) or monitor.last_error
    payload: dict[str, Any] = {
        "version": PAYLOAD_VERSION,
        "event": alert.kind.value,
        "occurred_at": _iso(alert.at),
        "monitor": {
            "id": str(monitor.id),
            "name": monitor.name,
            "type": monitor.type,
            "target": _target(monitor),
        },
        "status": monitor.status,
        "cause": cause if alert.kind is not EventKind.TLS_EXPIRING else None,
        "error_kind": outcome.error_kind.value if failing and outcome.error_kind else None,
        "status_code": outcome.status_code if failing else None,
        "reason": _reason(outcome, cause) if failing else None,
        "started_at": _iso(alert.started_at),
        "downtime_seconds": round(alert.downtime.total_seconds(), 3) if alert.downtime else None,
    }
    if alert.kind in (EventKind.DEGRADED, EventKind.DEGRADED_CLEARED):
        payload["degraded"] = {"threshold_ms": monitor.degraded_ms, "response_ms": outcome.response_ms}
    if entry.transition is not None and entry.transition.regions:  # checked from several regions
        payload["regions"] = [
            {"region": seen.region, "ok": seen.ok, "error": seen.error} for seen in entry.transition.regions
        ]
    if alert.kind is EventKind.TLS_EXPIRING and outcome.ssl_expires_at is not None:
        payload["certificate"] = {
            "expires_at": _iso(outcome.ssl_expires_at),
            "issuer": outcome.ssl_issuer,
            "days_left": alert.tls_days_left,
        }
    if alert.kind is EventKind.FLAPPING:
        payload["flapping"] = {"held_back": 1, "window_ends_at": _iso(alert.deliver_at)}
    return payload


def _target(monitor: MonitorRow) -> str:
    try:
        return target_of(MonitorType(monitor.type), monitor.config)
    except (KeyError, ValueError):
        return monitor.type


def _reason(outcome: CheckOutcome, cause: str | None) -> str | None:
    """A short reason for subjects: "503 Service Unavailable" rather than the whole sentence."""
    code = outcome.status_code
    if code is not None and outcome.error_kind is not None and outcome.error_kind.value == "status":
        try:
            return f"{code} {HTTPStatus(code).phrase}"
        except ValueError:
            return str(code)
    return cause


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None
