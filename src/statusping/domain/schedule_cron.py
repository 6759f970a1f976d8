"""When a heartbeat's next ping is expected: every N seconds, or on a cron schedule in a time zone.

A cron heartbeat expects a ping at each time its expression matches *in its own zone* (a job run
by cron at 02:30 Berlin time pings at 02:30 Berlin time, winter or summer), and is missed when
``grace_seconds`` pass after that without a ping. The expression is parsed by cronsim, the parser
healthchecks uses, so a schedule copied from a crontab means here what it means there, including
across daylight saving changes: a time the clocks skip (02:30 on the spring-forward day) fires at
the first moment after the gap, a time that happens twice (autumn) fires once.

Pure: time is always a parameter; every datetime in and out is timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from statusping.domain.errors import InvalidInput

MAX_SCHEDULE_LENGTH = 100
# crontab(5)'s nicknames; cronsim reads only the five fields, so they are spelled out here.
_NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


@dataclass(frozen=True, slots=True)
class Expectation:
    """How often a heartbeat expects a ping: ``schedule`` (cron, in ``timezone``) or ``interval_seconds``."""

    interval_seconds: int
    grace_seconds: int
    schedule: str | None = None
    timezone: str = "UTC"

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.grace_seconds)

    def describe(self) -> str:
        if self.schedule is None:
            return f"every {self.interval_seconds} s"
        return f"cron {self.schedule} ({self.timezone})"


def clean_schedule(value: object) -> str:
    """A five-field cron expression (or a nickname like @daily), whitespace normalised; 422 otherwise."""
    text = " ".join(str(value or "").split())
    if not text:
        raise InvalidInput("schedule must be a cron expression like '30 2 * * *'", field="schedule")
    if len(text) > MAX_SCHEDULE_LENGTH:
        raise InvalidInput(f"schedule must be at most {MAX_SCHEDULE_LENGTH} characters", field="schedule")
    try:
        CronSim(_NICKNAMES.get(text.lower(), text), datetime(2026, 1, 1, tzinfo=UTC))
    except CronSimError as exc:
        raise InvalidInput(
            f"schedule {text!r} is not a valid cron expression ({exc}); use five fields: "
            "minute hour day-of-month month day-of-week, like '30 2 * * *'",
            field="schedule",
        ) from None
    return text


def clean_timezone(value: object) -> str:
    name = str(value or "").strip() or "UTC"
    try:
        zone_of(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"timezone {name!r} is not an IANA time zone name like Europe/Berlin", field="timezone"
        ) from None
    return name


@lru_cache(maxsize=512)
def zone_of(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def next_expected(expect: Expectation, after: datetime) -> datetime:
    """The first time strictly after ``after`` at which a ping is expected."""
    if expect.schedule is None:
        return after + timedelta(seconds=expect.interval_seconds)
    local = after.astimezone(zone_of(expect.timezone))
    expression = _NICKNAMES.get(expect.schedule.lower(), expect.schedule)
    try:
        fire = next(CronSim(expression, local))
    except StopIteration:  # cronsim gives up after years without a match (30 2 31 2 *)
        return after + timedelta(days=366 * 5)
    return fire.astimezone(UTC)


def deadline_after_ping(expect: Expectation, pinged_at: datetime) -> datetime:
    """When silence after a ping at ``pinged_at`` becomes a missed heartbeat."""
    return next_expected(expect, pinged_at) + expect.grace


def deadline_after_miss(expect: Expectation, missed_at: datetime) -> datetime:
    """The next deadline once a miss was recorded at ``missed_at``: the following expected ping."""
    if expect.schedule is None:
        return missed_at + timedelta(seconds=expect.interval_seconds) + expect.grace
    # The miss was for the ping expected at about ``missed_at - grace``; look past that one.
    following = next_expected(expect, missed_at - expect.grace) + expect.grace
    return max(following, missed_at + timedelta(seconds=1))


def expected_before(expect: Expectation, deadline: datetime) -> datetime:
    """The expected ping time a deadline belongs to (what the monitor page calls the next ping)."""
    return deadline - expect.grace


def missed_message(expect: Expectation, deadline: datetime) -> str:
    if expect.schedule is None:
        total = expect.interval_seconds + expect.grace_seconds
        return (
            f"no ping within {total} s (interval {expect.interval_seconds} s"
            f" + grace {expect.grace_seconds} s)"
        )
    expected = expected_before(expect, deadline).astimezone(zone_of(expect.timezone))
    return (
        f"no ping for the run expected at {expected:%Y-%m-%d %H:%M} {expect.timezone}"
        f" (schedule {expect.schedule}, grace {expect.grace_seconds} s)"
    )


def expectation_of(interval_seconds: int, config: Mapping[str, Any]) -> Expectation:
    """A heartbeat monitor's stored settings as an expectation (older rows lack the cron keys)."""
    return Expectation(
        interval_seconds=interval_seconds,
        grace_seconds=int(config.get("grace_seconds") or 0),
        schedule=config.get("schedule") or None,
        timezone=config.get("timezone") or "UTC",
    )
