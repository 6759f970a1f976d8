"""The state machine: confirmed outages only (no database, time is a parameter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from statusping.domain.status import MonitorState, Status, TransitionKind, evaluate

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def run(results: list[bool], threshold: int = 3, state: MonitorState | None = None):  # type: ignore[no-untyped-def]
    state = state or MonitorState()
    transitions = []
    for i, ok in enumerate(results):
        state, transition = evaluate(
            state,
            ok=ok,
            checked_at=T0 + timedelta(seconds=20 * i),
            failure_threshold=threshold,
            error=None if ok else f"failure {i}",
        )
        if transition:
            transitions.append(transition)
    return state, transitions


def test_a_new_monitor_is_pending_then_up_on_its_first_success() -> None:
    assert MonitorState().status is Status.PENDING
    state, transitions = run([True])
    assert state.status is Status.UP
    assert transitions == []


def test_one_failure_does_not_mark_it_down() -> None:
    state, transitions = run([True, False])
    assert state.status is Status.UP
    assert state.consecutive_failures == 1
    assert state.confirming
    assert transitions == []


def test_three_consecutive_failures_confirm_an_outage_starting_at_the_first() -> None:
    state, transitions = run([True, False, False, False])
    assert state.status is Status.DOWN
    (down,) = transitions
    assert down.kind is TransitionKind.DOWN
    assert down.started_at == T0 + timedelta(seconds=20)  # the first failed check
    assert down.at == T0 + timedelta(seconds=60)  # confirmed at the third
    assert down.cause == "failure 3"


def test_a_success_before_confirmation_clears_the_streak() -> None:
    state, transitions = run([True, False, False, True, False, False])
    assert state.status is Status.UP
    assert state.consecutive_failures == 2
    assert transitions == []


def test_further_failures_while_down_cause_no_new_transition() -> None:
    _, transitions = run([True, False, False, False, False, False])
    assert [t.kind for t in transitions] == [TransitionKind.DOWN]


def test_the_first_success_after_down_recovers_with_the_outage_start() -> None:
    state, transitions = run([True, False, False, False, True])
    assert state == MonitorState(status=Status.UP)
    down, up = transitions
    assert up.kind is TransitionKind.UP
    assert up.started_at == down.started_at
    assert up.at == T0 + timedelta(seconds=80)


def test_a_pending_monitor_that_never_worked_goes_down_after_the_threshold() -> None:
    state, transitions = run([False, False, False])
    assert state.status is Status.DOWN
    assert transitions[0].started_at == T0


def test_a_threshold_of_one_confirms_at_once() -> None:
    _, transitions = run([True, False], threshold=1)
    assert [t.kind for t in transitions] == [TransitionKind.DOWN]


def test_an_immediate_failure_skips_confirmation() -> None:
    state, transition = evaluate(
        MonitorState(status=Status.UP), ok=False, checked_at=T0, failure_threshold=3, immediate=True
    )
    assert state.status is Status.DOWN
    assert transition is not None
    assert transition.kind is TransitionKind.DOWN
