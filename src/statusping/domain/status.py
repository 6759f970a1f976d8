"""The monitor state machine: confirmed outages only.

A monitor goes down only after ``failure_threshold`` consecutive failed checks; while a failure is
unconfirmed the engine re-checks every ``retry_interval_seconds`` so confirmation takes about a minute
even on a 5-minute plan. One success before confirmation clears the streak; the first success after
down recovers. The outage (incident) starts at the first failed check, not at confirmation.

Degraded (optional, ``degraded_ms``): a successful check slower than the threshold is *slow*.
``degraded_after`` consecutive slow checks turn ``up`` into ``degraded``, and as many consecutive
fast checks turn it back: the same count both ways, so latency hovering at the threshold does not
flap. One streak counter serves both directions (slow checks while up, fast ones while degraded).
Degraded is a kind of up: failures confirm an outage from it exactly as from up, a recovery from
down lands in ``up`` (and may degrade again), and uptime counts its checks as successful.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"
    PAUSED = "paused"
    MAINTENANCE = "maintenance"


class TransitionKind(StrEnum):
    DOWN = "down"
    UP = "up"
    DEGRADED = "degraded"  # up → degraded: slow for ``degraded_after`` checks in a row
    DEGRADED_CLEARED = "degraded_cleared"  # degraded → up: fast again for as many checks

    @property
    def is_outage(self) -> bool:
        """Opens or closes an outage (incident, downtime, subscriber notice); degraded does not."""
        return self in (TransitionKind.DOWN, TransitionKind.UP)


@dataclass(frozen=True, slots=True)
class MonitorState:
    status: Status = Status.PENDING
    consecutive_failures: int = 0
    first_failure_at: datetime | None = None
    last_error: str | None = None
    # Consecutive slow checks while up, or consecutive fast checks while degraded.
    latency_streak: int = 0

    @property
    def confirming(self) -> bool:
        """A failure streak has begun but is not yet an outage."""
        return self.consecutive_failures > 0 and self.status is not Status.DOWN


@dataclass(frozen=True, slots=True)
class RegionSeen:
    """What one region saw when a multi-region monitor changed state (``domain.quorum``)."""

    region: str
    ok: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    kind: TransitionKind
    at: datetime
    # For DOWN: when the outage began (the first failed check). For UP: when it ended.
    # For DEGRADED / DEGRADED_CLEARED: the check that flipped it (same as ``at``).
    started_at: datetime
    cause: str | None
    # Multi-region monitors: each live region's view at the transition; empty for one region.
    regions: tuple[RegionSeen, ...] = ()


def evaluate(
    state: MonitorState,
    *,
    ok: bool,
    checked_at: datetime,
    failure_threshold: int,
    error: str | None = None,
    immediate: bool = False,
    maintenance: bool = False,
    slow: bool = False,
    degraded_after: int | None = None,
) -> tuple[MonitorState, Transition | None]:
    """Feed one check result; return the new state and the transition it caused, if any.

    ``immediate`` confirms a failure at once (a heartbeat's explicit /fail or a missed deadline: the
    job itself told us, there is no blip to rule out). During ``maintenance`` failures are expected:
    they neither confirm an outage nor build a streak that would confirm one the moment the window
    closes; a success still counts (a monitor that was down may recover).

    ``slow`` says a successful check took longer than the monitor's ``degraded_ms``; it only
    matters when ``degraded_after`` is set (the monitor has a threshold).
    """
    if maintenance and not ok:
        return state, None
    if ok:
        if state.status is Status.DOWN:
            started = state.first_failure_at or checked_at
            return MonitorState(status=Status.UP), Transition(
                TransitionKind.UP, checked_at, started, state.last_error
            )
        return _latency(state, slow=slow, checked_at=checked_at, degraded_after=degraded_after)

    failures = state.consecutive_failures + 1
    first = state.first_failure_at or checked_at
    failing = replace(state, consecutive_failures=failures, first_failure_at=first, last_error=error)
    if state.status is Status.DOWN:
        return failing, None
    if failures >= failure_threshold or immediate:
        down = replace(failing, status=Status.DOWN, latency_streak=0)
        return down, Transition(TransitionKind.DOWN, checked_at, first, error)
    return failing, None


def _latency(
    state: MonitorState, *, slow: bool, checked_at: datetime, degraded_after: int | None
) -> tuple[MonitorState, Transition | None]:
    """A success while not down: clears any failure streak, then judges its latency."""
    if degraded_after is None:  # no threshold (or it was just removed): plain up
        return MonitorState(status=Status.UP), None
    degraded = state.status is Status.DEGRADED
    if slow != degraded:  # a check pulling the other way: count it
        streak = state.latency_streak + 1
        if streak >= degraded_after:
            kind = TransitionKind.DEGRADED_CLEARED if degraded else TransitionKind.DEGRADED
            status = Status.UP if degraded else Status.DEGRADED
            return MonitorState(status=status), Transition(kind, checked_at, checked_at, None)
        return MonitorState(status=state.status if degraded else Status.UP, latency_streak=streak), None
    return MonitorState(status=Status.DEGRADED if degraded else Status.UP), None
