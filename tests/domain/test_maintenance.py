from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statusping.domain.errors import InvalidInput
from statusping.domain.maintenance import Window, active_for, check_window, normalize_rrule

SUNDAY_2AM = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def weekly(monitor_ids: frozenset[str] | None = None) -> Window:
    return Window(SUNDAY_2AM, SUNDAY_2AM + timedelta(hours=2), "FREQ=WEEKLY", monitor_ids)


def test_a_weekly_window_recurs_on_the_same_weekday_and_hours() -> None:
    window = weekly()
    later_sunday = SUNDAY_2AM + timedelta(weeks=3)
    assert window.active_at(later_sunday + timedelta(minutes=30))
    assert not window.active_at(later_sunday + timedelta(hours=3))
    assert not window.active_at(later_sunday + timedelta(days=1, minutes=30))
    spans = window.spans(SUNDAY_2AM, SUNDAY_2AM + timedelta(days=28))
    assert len(spans) == 4


def test_a_one_off_window_is_active_only_between_its_times() -> None:
    window = Window(SUNDAY_2AM, SUNDAY_2AM + timedelta(hours=1), None, None)
    assert window.active_at(SUNDAY_2AM)
    assert not window.active_at(SUNDAY_2AM + timedelta(hours=1))


def test_a_window_for_some_monitors_leaves_the_others_alone() -> None:
    window = weekly(frozenset({"a"}))
    moment = SUNDAY_2AM + timedelta(minutes=10)
    assert active_for([window], "a", moment)
    assert not active_for([window], "b", moment)


def test_recurrence_accepts_weekly_or_an_rrule() -> None:
    assert normalize_rrule("weekly", SUNDAY_2AM) == "FREQ=WEEKLY"
    assert normalize_rrule("RRULE:FREQ=MONTHLY;BYMONTHDAY=1", SUNDAY_2AM) == "FREQ=MONTHLY;BYMONTHDAY=1"
    assert normalize_rrule(None, SUNDAY_2AM) is None


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "FREQ=MINUTELY", "nonsense", "FREQ=WEEKLY\nDTSTART:2020"])
def test_bad_or_too_fine_recurrences_are_refused(rule: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_rrule(rule, SUNDAY_2AM)
    assert caught.value.field == "recurrence"


def test_windows_must_end_after_they_start_and_last_at_most_a_month() -> None:
    with pytest.raises(InvalidInput):
        check_window(SUNDAY_2AM, SUNDAY_2AM)
    with pytest.raises(InvalidInput):
        check_window(SUNDAY_2AM, SUNDAY_2AM + timedelta(days=40))
