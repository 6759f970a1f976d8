"""The monitor state machine: confirmed outages only.

A monitor goes down only after ``failure_threshold`` consecutive failed checks; while a failure is
unconfirmed the engine re-checks every ``retry_interval_seconds`` so confirmation takes about a minute
even on a 5-minute plan. One success before confirmation clears the streak; the first success after
down recovers. The outage (incident) starts at the first failed check, not at confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    UP = "up"
    DOWN = "down"
    PAUSED = "paused"
    MAINTENANCE = "maintenance"


class TransitionKind(StrEnum):
    DOWN = "down"
    UP = "up"


@dataclass(frozen=True, slots=True)
class MonitorState:
    status: Status = Status.PENDING
    consecutive_failures: int = 0
    first_failure_at: datetime | None = None
    last_error: str | None = None

    @property
    def confirming(self) -> bool:
        """A failure streak has begun but is not yet an outage."""
        return self.consecutive_failures > 0 and self.status is not Status.DOWN


@dataclass(frozen=True, slots=True)
class Transition:
    kind: TransitionKind
    at: datetime
    # For DOWN: when the outage began (the first failed check). For UP: when it ended.
    started_at: datetime
    cause: str | None


def evaluate(
    state: MonitorState,
    *,
    ok: bool,
    checked_at: datetime,
    failure_threshold: int,
    error: str | None = None,
    immediate: bool = False,
    maintenance: bool = False,
) -> tuple[MonitorState, Transition | None]:
    """Feed one check result; return the new state and the transition it caused, if any.

    ``immediate`` confirms a failure at once (a heartbeat's explicit /fail or a missed deadline: the
    job itself told us, there is no blip to rule out). During ``maintenance`` failures are expected:
    they neither confirm an outage nor build a streak that would confirm one the moment the window
    closes; a success still counts (a monitor that was down may recover).
    """
    if maintenance and not ok:
        return state, None
    if ok:
        if state.status is Status.DOWN:
            started = state.first_failure_at or checked_at
            return MonitorState(status=Status.UP), Transition(
                TransitionKind.UP, checked_at, started, state.last_error
            )
        return MonitorState(status=Status.UP), None

    failures = state.consecutive_failures + 1
    first = state.first_failure_at or checked_at
    failing = replace(state, consecutive_failures=failures, first_failure_at=first, last_error=error)
    if state.status is Status.DOWN:
        return failing, None
    if failures >= failure_threshold or immediate:
        return replace(failing, status=Status.DOWN), Transition(TransitionKind.DOWN, checked_at, first, error)
    return failing, None
