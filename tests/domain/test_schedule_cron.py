"""Cron heartbeats: when the next ping is expected, in the schedule's own zone, across DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statusping.domain.errors import InvalidInput
from statusping.domain.monitors import normalize_heartbeat
from statusping.domain.schedule_cron import (
    Expectation,
    deadline_after_miss,
    deadline_after_ping,
    missed_message,
    next_expected,
)

NIGHTLY_BERLIN = Expectation(
    interval_seconds=86400, grace_seconds=600, schedule="30 2 * * *", timezone="Europe/Berlin"
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_nightly_job_is_expected_at_02_30_berlin_time_in_winter_and_summer() -> None:
    assert next_expected(NIGHTLY_BERLIN, utc(2027, 1, 10, 12, 0)) == utc(2027, 1, 11, 1, 30)  # CET
    assert next_expected(NIGHTLY_BERLIN, utc(2027, 7, 10, 12, 0)) == utc(2027, 7, 11, 0, 30)  # CEST


def test_on_the_spring_forward_night_the_skipped_02_30_fires_at_03_00_and_then_02_30_again() -> None:
    # 2027-03-28 02:00 CET → 03:00 CEST: 02:30 does not exist that night; cron runs the job at 03:00.
    ping_on_saturday = utc(2027, 3, 27, 1, 31)  # 02:31 CET
    sunday = next_expected(NIGHTLY_BERLIN, ping_on_saturday)
    assert sunday == utc(2027, 3, 28, 1, 0)  # 03:00 CEST
    assert deadline_after_ping(NIGHTLY_BERLIN, ping_on_saturday) == sunday + timedelta(minutes=10)
    assert next_expected(NIGHTLY_BERLIN, sunday) == utc(2027, 3, 29, 0, 30)  # 02:30 CEST
    # 23½ hours after Saturday's run, not 24: a fixed interval would expect it half an hour late.
    assert (next_expected(NIGHTLY_BERLIN, ping_on_saturday) - utc(2027, 3, 27, 1, 30)) == timedelta(
        hours=23, minutes=30
    )


def test_on_the_fall_back_night_02_30_happens_twice_but_the_job_is_expected_once() -> None:
    saturday = utc(2027, 10, 30, 0, 31)  # 02:31 CEST
    sunday = next_expected(NIGHTLY_BERLIN, saturday)
    assert sunday == utc(2027, 10, 31, 0, 30)  # the first 02:30 (CEST)
    assert next_expected(NIGHTLY_BERLIN, sunday) == utc(2027, 11, 1, 1, 30)  # Monday 02:30 CET


def test_a_missed_run_moves_the_deadline_to_the_following_run() -> None:
    missed_at = utc(2027, 1, 11, 1, 40)  # Monday's 02:30 + 10 min grace, no ping
    assert deadline_after_miss(NIGHTLY_BERLIN, missed_at) == utc(2027, 1, 12, 1, 40)
    message = missed_message(NIGHTLY_BERLIN, missed_at)
    assert "2027-01-11 02:30 Europe/Berlin" in message
    assert "30 2 * * *" in message


def test_an_interval_heartbeat_keeps_interval_plus_grace() -> None:
    every_minute = Expectation(interval_seconds=60, grace_seconds=30)
    assert deadline_after_ping(every_minute, utc(2027, 1, 1, 0, 0)) == utc(2027, 1, 1, 0, 1, 30)
    assert deadline_after_miss(every_minute, utc(2027, 1, 1, 0, 1, 30)) == utc(2027, 1, 1, 0, 3)
    assert missed_message(every_minute, utc(2027, 1, 1)) == "no ping within 90 s (interval 60 s + grace 30 s)"


def test_nicknames_are_read_as_crontab_reads_them() -> None:
    daily = Expectation(interval_seconds=86400, grace_seconds=0, schedule="@daily", timezone="UTC")
    assert next_expected(daily, utc(2027, 5, 5, 13, 0)) == utc(2027, 5, 6, 0, 0)


@pytest.mark.parametrize(
    ("config", "field", "words"),
    [
        ({"schedule": "61 * * * *"}, "schedule", "Bad minute"),
        ({"schedule": "* * *"}, "schedule", "five fields"),
        ({"schedule": "0 0 30 2 *"}, "schedule", "not a valid cron expression"),
        ({"schedule": "30 2 * * *", "timezone": "Mars/Olympus"}, "timezone", "IANA"),
    ],
)
def test_a_bad_schedule_or_zone_is_refused_naming_the_field(
    config: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_heartbeat(config)
    assert caught.value.field == field
    assert words in caught.value.detail


def test_a_schedule_without_a_zone_is_utc() -> None:
    assert normalize_heartbeat({"schedule": " 30   2 * * * ", "grace_seconds": 5}) == {
        "grace_seconds": 5,
        "schedule": "30 2 * * *",
        "timezone": "UTC",
    }
