"""Which alerts a recorded check produces: pure rules, time is a parameter.

The engine records a check and its transition; these rules decide what is worth telling a person:

- a confirmed outage (``down``; for a heartbeat monitor the cause says the ping was missed),
- the recovery (``up``, with how long it was down),
- an optional ``reminder`` every N minutes while still down,
- ``degraded`` when slow checks confirm degraded performance and ``degraded_cleared`` when fast ones
  end it (only for monitors with a latency threshold, and unless the monitor turned them off),
- a TLS certificate nearing expiry (``tls_expiring``): the warning steps are the monitor's own
  ``ssl_expiry_days`` and then each of 30/14/7/1 days below it; each step is announced once per
  certificate (a renewed certificate, seen as a new expiry date, starts the steps afresh), and
  crossing several steps at once (first seen 5 days before expiry) sends one alert, not three.

A flapping monitor cannot flood a channel: at most ``FLAP_CAP`` down/up/reminder alerts per monitor
in a rolling hour window. The next one becomes a single ``flapping`` summary, delivered when the
window ends so it can say how many alerts were held back and how the monitor is doing by then.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

TLS_STEPS_DAYS = (30, 14, 7, 1)
FLAP_CAP = 6
FLAP_WINDOW = timedelta(hours=1)


class EventKind(StrEnum):
    DOWN = "down"
    UP = "up"
    REMINDER = "reminder"
    TLS_EXPIRING = "tls_expiring"
    DEGRADED = "degraded"
    DEGRADED_CLEARED = "degraded_cleared"
    FLAPPING = "flapping"
    TEST = "test"


@dataclass(frozen=True, slots=True)
class AlertState:
    """What a monitor's alerting remembers between checks (stored per monitor)."""

    reminder_minutes: int | None = None
    last_down_alert_at: datetime | None = None
    tls_expires_at: datetime | None = None
    tls_steps_sent: tuple[int, ...] = ()
    window_started_at: datetime | None = None
    window_count: int = 0
    suppressed: int = 0


@dataclass(frozen=True, slots=True)
class CheckFacts:
    """The parts of a recorded check the rules look at."""

    status: str  # the monitor's status after this check
    transition: str | None  # "down" | "up" | "degraded" | "degraded_cleared" | None
    transition_at: datetime | None = None
    started_at: datetime | None = None  # when the outage began
    ssl_expiry_days: int | None = None
    ssl_expires_at: datetime | None = None
    degraded_alerts: bool = True  # the monitor wants degraded / degraded_cleared alerts


@dataclass(frozen=True, slots=True)
class Alert:
    kind: EventKind
    at: datetime
    started_at: datetime | None = None
    downtime: timedelta | None = None
    tls_days_left: int | None = None
    # Flapping: deliver at the end of the window, not now.
    deliver_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    alerts: tuple[Alert, ...]
    state: AlertState
    # True when this check opened a flap summary; later held-back alerts are added to it.
    opened_summary: bool = False
    held_back: int = 0


def tls_steps(ssl_expiry_days: int) -> tuple[int, ...]:
    """The warning steps, largest first: the monitor's own threshold, then the standard ones below it."""
    return tuple(
        sorted({ssl_expiry_days, *(d for d in TLS_STEPS_DAYS if d <= ssl_expiry_days)}, reverse=True)
    )


def days_left(expires_at: datetime, now: datetime) -> int:
    """Whole days until expiry, rounded down (0 on the last day, negative once expired)."""
    return (expires_at - now) // timedelta(days=1)


def tls_may_alert(ssl_expiry_days: int | None, expires_at: datetime | None, now: datetime) -> bool:
    """Cheap pre-check so the engine only loads alert state for certificates inside a warning step."""
    return (
        ssl_expiry_days is not None
        and expires_at is not None
        and days_left(expires_at, now) <= ssl_expiry_days
    )


def decide(facts: CheckFacts, state: AlertState, now: datetime, *, cap: int = FLAP_CAP) -> Decision:
    """The alerts one recorded check produces, and the alert state to store after it."""
    wanted: list[Alert] = []
    if facts.transition == "down":
        wanted.append(Alert(EventKind.DOWN, facts.transition_at or now, started_at=facts.started_at))
        state = replace(state, last_down_alert_at=now)
    elif facts.transition == "up":
        at = facts.transition_at or now
        started = facts.started_at or at
        wanted.append(Alert(EventKind.UP, at, started_at=started, downtime=at - started))
        state = replace(state, last_down_alert_at=None)
    elif facts.transition in (EventKind.DEGRADED, EventKind.DEGRADED_CLEARED):
        if facts.degraded_alerts:
            wanted.append(Alert(EventKind(facts.transition), facts.transition_at or now))
    elif facts.status == "down" and _reminder_due(state, now):
        wanted.append(Alert(EventKind.REMINDER, now, started_at=facts.started_at))
        state = replace(state, last_down_alert_at=now)

    counted, state, opened, held = _apply_flap_cap(wanted, state, now, cap)
    tls, state = _tls_alert(facts, state, now)
    return Decision(tuple(counted + tls), state, opened_summary=opened, held_back=held)


def _reminder_due(state: AlertState, now: datetime) -> bool:
    if not state.reminder_minutes or state.last_down_alert_at is None:
        return False
    return now - state.last_down_alert_at >= timedelta(minutes=state.reminder_minutes)


def _apply_flap_cap(
    wanted: list[Alert], state: AlertState, now: datetime, cap: int
) -> tuple[list[Alert], AlertState, bool, int]:
    if not wanted:
        return [], state, False, 0
    started = state.window_started_at
    if started is None or now >= started + FLAP_WINDOW:
        started = now
        state = replace(state, window_started_at=now, window_count=0, suppressed=0)
    if state.window_count < cap:
        return wanted, replace(state, window_count=state.window_count + 1), False, 0
    held = len(wanted)
    state = replace(state, window_count=state.window_count + 1, suppressed=state.suppressed + held)
    if state.window_count == cap + 1:
        summary = Alert(EventKind.FLAPPING, now, deliver_at=started + FLAP_WINDOW)
        return [summary], state, True, held
    return [], state, False, held


def _tls_alert(facts: CheckFacts, state: AlertState, now: datetime) -> tuple[list[Alert], AlertState]:
    if facts.ssl_expiry_days is None or facts.ssl_expires_at is None:
        return [], state
    if state.tls_expires_at != facts.ssl_expires_at:
        state = replace(state, tls_expires_at=facts.ssl_expires_at, tls_steps_sent=())
    left = days_left(facts.ssl_expires_at, now)
    crossed = [step for step in tls_steps(facts.ssl_expiry_days) if left <= step]
    new = [step for step in crossed if step not in state.tls_steps_sent]
    if not new:
        return [], state
    state = replace(state, tls_steps_sent=tuple(sorted({*state.tls_steps_sent, *crossed}, reverse=True)))
    return [Alert(EventKind.TLS_EXPIRING, now, tls_days_left=left)], state
