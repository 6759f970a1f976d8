from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr

from statusping.domain.errors import InvalidInput
from statusping.domain.maintenance import Window, active_for, check_window, normalize_rrule, plan
from statusping.domain.recurrence import Series, parse_rule

SUNDAY_2AM = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)


def weekly(monitor_ids: frozenset[str] | None = None) -> Window:
    return Window(SUNDAY_2AM, SUNDAY_2AM + timedelta(hours=2), "FREQ=WEEKLY", monitor_ids)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


def test_a_weekly_window_recurs_on_the_same_weekday_and_hours() -> None:
    window = weekly()
    later_sunday = SUNDAY_2AM + timedelta(weeks=3)
    assert window.active_at(later_sunday + timedelta(minutes=30))
    assert not window.active_at(later_sunday + timedelta(hours=3))
    assert not window.active_at(later_sunday + timedelta(days=1, minutes=30))
    spans = window.spans(SUNDAY_2AM, SUNDAY_2AM + timedelta(days=28))
    assert len(spans) == 4


def test_a_one_off_window_is_active_only_between_its_times() -> None:
    window = Window(SUNDAY_2AM, SUNDAY_2AM + HOUR, None, None)
    assert window.active_at(SUNDAY_2AM)
    assert not window.active_at(SUNDAY_2AM + HOUR)
    assert window.next_span(SUNDAY_2AM - HOUR) == (SUNDAY_2AM, SUNDAY_2AM + HOUR)
    assert window.next_span(SUNDAY_2AM + HOUR) is None


def test_a_window_for_some_monitors_leaves_the_others_alone() -> None:
    window = weekly(frozenset({"a"}))
    moment = SUNDAY_2AM + timedelta(minutes=10)
    assert active_for([window], "a", moment)
    assert not active_for([window], "b", moment)


class TestTimeZones:
    def sunday_2am_berlin(self) -> Window:
        first = berlin(2026, 10, 18, 2, 0)
        return Window(first, first + HOUR, "FREQ=WEEKLY", None, "Europe/Berlin")

    @pytest.mark.parametrize(
        ("start", "end"),
        [(datetime(2026, 10, 10, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC)),
         (datetime(2027, 3, 15, tzinfo=UTC), datetime(2027, 4, 15, tzinfo=UTC))],
    )  # fmt: skip
    def test_a_weekly_berlin_window_stays_at_2am_local_across_dst(
        self, start: datetime, end: datetime
    ) -> None:
        spans = self.sunday_2am_berlin().spans(start, end)
        assert len(spans) >= 4
        for opens, closes in spans:
            local = opens.astimezone(BERLIN)
            assert local.weekday() == 6
            if local.date() != datetime(2027, 3, 28).date():  # 02:00 does not exist that night
                assert (local.hour, local.minute) == (2, 0)
            assert closes - opens == HOUR
        offsets = {opens.astimezone(BERLIN).utcoffset() for opens, _ in spans}
        assert offsets == {timedelta(hours=1), timedelta(hours=2)}  # the UTC instant moved, not the hour

    def test_a_repeated_local_time_is_its_first_occurrence(self) -> None:
        # 2026-10-25: 02:00–03:00 happens twice in Berlin; the window opens at the first (CEST).
        spans = self.sunday_2am_berlin().spans(
            datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 26, tzinfo=UTC)
        )
        assert spans == [(datetime(2026, 10, 25, 0, 0, tzinfo=UTC), datetime(2026, 10, 25, 1, 0, tzinfo=UTC))]

    def test_a_missing_local_time_is_read_with_the_offset_before_the_gap(self) -> None:
        # 2027-03-28: 02:30 does not exist in Berlin; it is 02:30 CET = 03:30 CEST (RFC 5545 §3.3.5).
        first = berlin(2027, 3, 21, 2, 30)
        window = Window(first, first + HOUR, "FREQ=WEEKLY", None, "Europe/Berlin")
        ((opens, _),) = window.spans(datetime(2027, 3, 27, tzinfo=UTC), datetime(2027, 3, 29, tzinfo=UTC))
        assert opens == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
        assert opens.astimezone(BERLIN).hour == 3

    def test_times_without_an_offset_are_read_in_the_windows_zone(self) -> None:
        starts_at, ends_at = check_window(
            datetime(2026, 12, 6, 2, 0), datetime(2026, 12, 6, 3, 0), "Europe/Berlin"
        )
        assert starts_at == datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
        assert ends_at - starts_at == HOUR

    @pytest.mark.parametrize(
        "name", ["Mars/Olympus", "../etc/passwd", "/etc/localtime", "localtime", "", "a" * 100]
    )
    def test_unknown_zones_are_refused(self, name: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            check_window(SUNDAY_2AM, SUNDAY_2AM + HOUR, name)
        assert caught.value.field == "timezone"


def test_recurrence_accepts_weekly_or_an_rrule() -> None:
    assert normalize_rrule("weekly") == "FREQ=WEEKLY"
    assert normalize_rrule("RRULE:FREQ=MONTHLY;BYMONTHDAY=1") == "FREQ=MONTHLY;BYMONTHDAY=1"
    assert normalize_rrule("byday=su;freq=weekly") == "FREQ=WEEKLY;BYDAY=SU"
    assert normalize_rrule(None) is None


FULL = ",".join(str(n) for n in range(60))
HOURS = ",".join(str(n) for n in range(24))
NASTY = {
    "FREQ=DAILY;INTERVAL=0": "INTERVAL",
    "FREQ=DAILY;INTERVAL=-1": "INTERVAL",
    "FREQ=DAILY;FREQ=MINUTELY": "FREQ twice",
    "FREQ=DAILY;BYHOUR=1;BYHOUR=2": "BYHOUR twice",
    "FREQ=DAILY;BYHOUR=1,1": "twice",
    "FREQ=SECONDLY": "DAILY, WEEKLY",
    "FREQ=MINUTELY": "DAILY, WEEKLY",
    "FREQ=HOURLY": "DAILY, WEEKLY",
    "BYHOUR=2": "FREQ",
    f"FREQ=DAILY;BYHOUR={HOURS};BYMINUTE={FULL};BYSECOND={FULL}": "BYSECOND",
    f"FREQ=DAILY;BYHOUR={HOURS};BYMINUTE={FULL}": "at most 24",
    f"FREQ=DAILY;BYMINUTE={FULL}": "at most 24",
    "FREQ=DAILY;BYHOUR=24": "BYHOUR",
    "FREQ=DAILY;COUNT=5": "COUNT",
    "FREQ=DAILY;UNTIL=2027": "UNTIL",
    "FREQ=WEEKLY;BYMONTHDAY=1": "WEEKLY",
    "FREQ=DAILY;BYDAY=1MO": "ordinals",
    "FREQ=MONTHLY;BYDAY=6MO": "ordinals",
    "FREQ=MONTHLY;BYSETPOS=1": "BYSETPOS",
    "FREQ=DAILY;BYYEARDAY=1": "not supported",
    "FREQ=DAILY;X-NAME=1": "not supported",
    "FREQ": "NAME=VALUE",
    "nonsense": "NAME=VALUE",
    "FREQ=WEEKLY\nDTSTART:2020": "single RRULE line",
    "FREQ=DAILY;" * 100: "at most 500",
}


@pytest.mark.parametrize(("rule", "reason"), list(NASTY.items()))
def test_bad_or_costly_recurrences_are_refused_saying_why(rule: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_rrule(rule)
    assert caught.value.field == "recurrence"
    assert reason in caught.value.detail


@pytest.mark.parametrize(
    "rule",
    ["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=DAILY;UNTIL=20260101", "FREQ=YEARLY;INTERVAL=2;BYMONTH=1",
     "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4"],
)  # fmt: skip
def test_a_rule_without_an_occurrence_in_the_coming_year_is_refused(rule: str) -> None:
    start = datetime(2026, 1, 10, 2, 0, tzinfo=UTC)  # YEARLY;INTERVAL=2 from 2026: next in Jan 2028
    with pytest.raises(InvalidInput) as caught:
        plan(start, start + HOUR, rule, "UTC", NOW)
    assert "coming 366 days" in caught.value.detail


@pytest.mark.parametrize(
    ("starts_at", "field"),
    [(datetime(1, 1, 1, tzinfo=UTC), "starts_at"), (datetime(1999, 12, 31, tzinfo=UTC), "starts_at"),
     (NOW + timedelta(days=6 * 365), "starts_at"), (datetime(1, 1, 1, 0, 30), "starts_at")],
)  # fmt: skip
def test_a_first_occurrence_outside_a_sane_range_is_refused(starts_at: datetime, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan(starts_at, starts_at + HOUR, "FREQ=DAILY", "Europe/Berlin", NOW)
    assert caught.value.field == field


def test_windows_must_end_after_they_start_and_last_at_most_a_month() -> None:
    with pytest.raises(InvalidInput):
        check_window(SUNDAY_2AM, SUNDAY_2AM)
    with pytest.raises(InvalidInput):
        check_window(SUNDAY_2AM, SUNDAY_2AM + timedelta(days=40))


def test_looking_up_now_does_not_walk_from_an_old_first_occurrence() -> None:
    # A rule that matches once every 28+ years: dateutil walks day by day from the start to find
    # out; the lookup here only expands the days around the moment asked about.
    first = datetime(2000, 2, 29, 2, 0, tzinfo=UTC)
    window = Window(first, first + HOUR, "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=TU", None)
    assert not window.active_at(NOW)
    assert window.next_span(NOW) is None
    assert window.active_at(datetime(2028, 2, 29, 2, 30, tzinfo=UTC))  # a Tuesday


def test_occurrences_looked_up_once_serve_every_later_lookup_in_their_range() -> None:
    window = weekly().expanded(SUNDAY_2AM, SUNDAY_2AM + timedelta(days=30))
    assert window.known is not None
    assert len(window.known[2]) == 5
    assert window.active_at(SUNDAY_2AM + timedelta(days=14, minutes=5))
    assert window.spans(SUNDAY_2AM, SUNDAY_2AM + timedelta(days=7)) == [
        (SUNDAY_2AM, SUNDAY_2AM + timedelta(hours=2))
    ]


SAME_AS_DATEUTIL = [
    "FREQ=DAILY",
    "FREQ=DAILY;INTERVAL=3;BYHOUR=1,13;BYMINUTE=0,30",
    "FREQ=DAILY;BYDAY=MO,WE,FR;BYMONTH=1,6",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU",
    "FREQ=WEEKLY;INTERVAL=3;BYDAY=SA",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=MONTHLY;BYDAY=1MO,3MO;BYHOUR=22",
    "FREQ=MONTHLY;BYMONTHDAY=-1,15",
    "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=31",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=YEARLY",
    "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU",
    "FREQ=YEARLY;BYDAY=20MO",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    "FREQ=DAILY;UNTIL=20270315T000000",
    "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYSETPOS=1",
]


@pytest.mark.parametrize("rule", SAME_AS_DATEUTIL)
def test_the_expansion_matches_dateutil_for_synchronized_rules(rule: str) -> None:
    start = datetime(2026, 1, 31, 2, 30)  # a Saturday, the 31st: defaults and short months matter
    series = Series.of(parse_rule(rule), start, ZoneInfo("UTC"))
    low, high = datetime(2027, 1, 1), datetime(2029, 6, 1)
    expected = [t for t in rrulestr(rule, dtstart=start).between(low, high, inc=True) if t < high]
    assert list(series.local_occurrences(low, high)) == expected
