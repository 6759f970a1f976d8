"""Which alerts a recorded check produces: outages, recoveries, reminders, TLS steps, the flap cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from statusping.domain.alerts import (
    FLAP_WINDOW,
    AlertState,
    CheckFacts,
    EventKind,
    days_left,
    decide,
    tls_may_alert,
    tls_steps,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def down(at: datetime = T0) -> CheckFacts:
    return CheckFacts(
        status="down", transition="down", transition_at=at, started_at=at - timedelta(minutes=1)
    )


def up(at: datetime) -> CheckFacts:
    return CheckFacts(status="up", transition="up", transition_at=at, started_at=T0 - timedelta(minutes=1))


def kinds(decision: object) -> list[str]:
    return [a.kind.value for a in decision.alerts]  # type: ignore[attr-defined]


def test_a_confirmed_outage_alerts_once_and_the_recovery_gives_the_downtime() -> None:
    first = decide(down(), AlertState(), T0)
    assert kinds(first) == ["down"]
    assert first.alerts[0].started_at == T0 - timedelta(minutes=1)
    still = decide(CheckFacts(status="down", transition=None), first.state, T0 + timedelta(minutes=1))
    assert kinds(still) == []
    back = decide(up(T0 + timedelta(minutes=11)), still.state, T0 + timedelta(minutes=11))
    assert kinds(back) == ["up"]
    assert back.alerts[0].downtime == timedelta(minutes=12)


def test_a_healthy_check_alerts_nobody() -> None:
    assert kinds(decide(CheckFacts(status="up", transition=None), AlertState(), T0)) == []


def test_a_reminder_repeats_every_n_minutes_while_down_and_never_without_the_setting() -> None:
    state = decide(down(), AlertState(reminder_minutes=30), T0).state
    steady = CheckFacts(status="down", transition=None, started_at=T0)
    assert kinds(decide(steady, state, T0 + timedelta(minutes=29))) == []
    reminded = decide(steady, state, T0 + timedelta(minutes=30))
    assert kinds(reminded) == ["reminder"]
    assert kinds(decide(steady, reminded.state, T0 + timedelta(minutes=45))) == []
    assert kinds(decide(steady, reminded.state, T0 + timedelta(minutes=60))) == ["reminder"]
    no_setting = decide(down(), AlertState(), T0).state
    assert kinds(decide(steady, no_setting, T0 + timedelta(days=1))) == []


def test_tls_steps_start_at_the_monitors_threshold_then_the_standard_ones_below_it() -> None:
    assert tls_steps(30) == (30, 14, 7, 1)
    assert tls_steps(21) == (21, 14, 7, 1)
    assert tls_steps(60) == (60, 30, 14, 7, 1)
    assert tls_steps(5) == (5, 1)


def tls_check(expires: datetime) -> CheckFacts:
    return CheckFacts(status="up", transition=None, ssl_expiry_days=30, ssl_expires_at=expires)


def test_a_certificate_warns_once_per_step_as_expiry_nears() -> None:
    expires = T0 + timedelta(days=40)
    state = AlertState()
    sent: list[int | None] = []
    for day in range(41):
        decision = decide(tls_check(expires), state, T0 + timedelta(days=day, hours=1))
        sent += [a.tls_days_left for a in decision.alerts if a.kind is EventKind.TLS_EXPIRING]
        state = decision.state
    assert sent == [30, 14, 7, 1]  # once at each step, on the first check with that many days left


def test_crossing_several_steps_at_once_sends_one_warning_and_a_renewal_starts_afresh() -> None:
    expires = T0 + timedelta(days=5, hours=2)
    first = decide(tls_check(expires), AlertState(), T0)
    assert [a.tls_days_left for a in first.alerts] == [5]
    assert first.state.tls_steps_sent == (30, 14, 7)
    assert kinds(decide(tls_check(expires), first.state, T0 + timedelta(hours=1))) == []
    renewed = T0 + timedelta(days=20)
    again = decide(tls_check(renewed), first.state, T0 + timedelta(hours=2))
    assert kinds(again) == ["tls_expiring"]
    assert again.state.tls_steps_sent == (30,)


def test_tls_is_ignored_without_ssl_expiry_days_and_cheaply_ruled_out_far_from_expiry() -> None:
    facts = CheckFacts(
        status="up", transition=None, ssl_expiry_days=None, ssl_expires_at=T0 + timedelta(days=1)
    )
    assert kinds(decide(facts, AlertState(), T0)) == []
    assert not tls_may_alert(None, T0 + timedelta(days=1), T0)
    assert not tls_may_alert(14, T0 + timedelta(days=60), T0)
    assert tls_may_alert(14, T0 + timedelta(days=14, hours=5), T0)
    assert days_left(T0 - timedelta(hours=1), T0) == -1


def test_a_flapping_monitor_sends_at_most_the_cap_then_one_summary_due_at_the_windows_end() -> None:
    state = AlertState()
    sent: list[str] = []
    summary = None
    for n in range(20):
        at = T0 + timedelta(minutes=2 * n)
        facts = down(at) if n % 2 == 0 else up(at)
        decision = decide(facts, state, at, cap=6)
        sent += kinds(decision)
        if decision.opened_summary:
            summary = decision.alerts[0]
        state = decision.state
    assert sent == ["down", "up"] * 3 + ["flapping"]
    assert summary is not None
    assert summary.deliver_at == T0 + FLAP_WINDOW
    assert state.suppressed == 14  # the summary's check and the 13 after it were held back
    after = T0 + FLAP_WINDOW + timedelta(minutes=1)
    assert kinds(decide(down(after), state, after, cap=6)) == ["down"]


def test_tls_warnings_do_not_count_against_the_flap_cap() -> None:
    state = AlertState(window_started_at=T0, window_count=99)
    facts = CheckFacts(status="up", transition=None, ssl_expiry_days=7, ssl_expires_at=T0 + timedelta(days=3))
    assert kinds(decide(facts, state, T0 + timedelta(minutes=1))) == ["tls_expiring"]
