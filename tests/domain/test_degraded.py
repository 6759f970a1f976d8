"""The degraded state: slow successes turn up into degraded and back (no database, time a parameter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from statusping.domain.alerts import AlertState, CheckFacts, EventKind, decide
from statusping.domain.status import MonitorState, Status, Transition, TransitionKind, evaluate

T0 = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def run(
    checks: list[str], *, after: int | None = 3, state: MonitorState | None = None
) -> tuple[MonitorState, list[Transition], list[Status]]:
    """``checks``: "fast", "slow" or "fail", one per 30 s."""
    state = state or MonitorState(status=Status.UP)
    transitions: list[Transition] = []
    seen: list[Status] = []
    for i, check in enumerate(checks):
        state, transition = evaluate(
            state,
            ok=check != "fail",
            slow=check == "slow",
            checked_at=T0 + timedelta(seconds=30 * i),
            failure_threshold=3,
            degraded_after=after,
            error="timeout" if check == "fail" else None,
        )
        seen.append(state.status)
        if transition:
            transitions.append(transition)
    return state, transitions, seen


def test_consecutive_slow_checks_turn_up_into_degraded_at_the_threshold() -> None:
    _, transitions, seen = run(["slow", "slow", "slow"])
    assert seen == [Status.UP, Status.UP, Status.DEGRADED]
    (degraded,) = transitions
    assert degraded.kind is TransitionKind.DEGRADED
    assert degraded.at == T0 + timedelta(seconds=60)
    assert not degraded.kind.is_outage


def test_a_fast_check_between_slow_ones_starts_the_count_again() -> None:
    _, transitions, seen = run(["slow", "slow", "fast", "slow", "slow"])
    assert transitions == []
    assert Status.DEGRADED not in seen


def test_degraded_clears_after_as_many_fast_checks_and_a_slow_one_resets_that_count() -> None:
    _, transitions, seen = run(["slow"] * 3 + ["fast", "fast", "slow", "fast", "fast", "fast"])
    assert seen[3:] == [Status.DEGRADED] * 5 + [Status.UP]
    assert [t.kind for t in transitions] == [TransitionKind.DEGRADED, TransitionKind.DEGRADED_CLEARED]


def test_without_a_threshold_slow_checks_are_plain_up() -> None:
    state, transitions, _ = run(["slow"] * 5, after=None)
    assert state.status is Status.UP
    assert transitions == []


def test_failures_confirm_an_outage_from_degraded_and_recovery_lands_in_up() -> None:
    _, transitions, seen = run(["slow"] * 3 + ["fail"] * 3 + ["slow"])
    assert seen[3:5] == [Status.DEGRADED, Status.DEGRADED]  # an unconfirmed failure keeps degraded
    assert seen[5] is Status.DOWN
    assert seen[6] is Status.UP  # back up; one slow check is not yet degraded again
    assert [t.kind for t in transitions] == [TransitionKind.DEGRADED, TransitionKind.DOWN, TransitionKind.UP]


def test_a_blip_while_degraded_does_not_clear_it() -> None:
    state, transitions, _ = run(["slow"] * 3 + ["fail", "slow"])
    assert state.status is Status.DEGRADED
    assert len(transitions) == 1


def test_degraded_and_its_end_are_alerts_unless_the_monitor_turned_them_off() -> None:
    for kind in (EventKind.DEGRADED, EventKind.DEGRADED_CLEARED):
        facts = CheckFacts(status="degraded", transition=kind.value, transition_at=T0)
        (alert,) = decide(facts, AlertState(), T0).alerts
        assert alert.kind is kind
        quiet = CheckFacts(status="degraded", transition=kind.value, transition_at=T0, degraded_alerts=False)
        assert decide(quiet, AlertState(), T0).alerts == ()
