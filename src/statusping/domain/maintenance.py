"""Maintenance windows: one-off or recurring (weekly, or an RRULE), each in its own IANA time zone.

``starts_at``–``ends_at`` is the first occurrence (an instant pair, stored in UTC). A recurring window
repeats that wall-clock time in its zone, so "Sunday 02:00 Europe/Berlin" stays at 02:00 local across
DST changes; every occurrence lasts as long as the first (elapsed time). How a rule is parsed,
bounded and expanded is in :mod:`statusping.domain.recurrence`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from statusping.domain.errors import InvalidInput
from statusping.domain.intervals import Span
from statusping.domain.recurrence import Series, parse_rule

MAX_DURATION = timedelta(days=31)
WEEKLY = "FREQ=WEEKLY"
DEFAULT_ZONE = "UTC"
EARLIEST_YEAR = 2000
MAX_AHEAD = timedelta(days=5 * 366)  # a first occurrence at most ~5 years ahead
HORIZON = timedelta(days=366)  # a recurring window must occur within it; "next window" looks this far
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*")
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@dataclass(frozen=True, slots=True)
class Window:
    starts_at: datetime
    ends_at: datetime
    rrule: str | None
    monitor_ids: frozenset[str] | None  # None: all of the organization's monitors
    timezone: str = DEFAULT_ZONE
    # Occurrences already expanded over [known[0], known[1]): lookups inside it cost no expansion.
    known: tuple[datetime, datetime, tuple[Span, ...]] | None = None

    def applies_to(self, monitor_id: str) -> bool:
        return self.monitor_ids is None or monitor_id in self.monitor_ids

    def spans(self, start: datetime, end: datetime) -> list[Span]:
        """The occurrences that overlap [start, end)."""
        if self.known is not None and self.known[0] <= start and end <= self.known[1]:
            return [(s, e) for s, e in self.known[2] if e > start and s < end]
        return list(self._spans(start, end))

    def active_at(self, moment: datetime) -> bool:
        return bool(self.spans(moment, moment + timedelta(microseconds=1)))

    def next_span(self, at: datetime, within: timedelta = HORIZON) -> Span | None:
        """The occurrence running at ``at``, or else the next one starting within ``within``."""
        return next(self._spans(at, at + within), None)

    def recurs_within(self, at: datetime, within: timedelta = HORIZON) -> bool:
        """Whether the rule itself (not just the first occurrence) has an occurrence in [at, at+within)."""
        series = _series(self.rrule, self.starts_at, self.timezone) if self.rrule else None
        length = self.ends_at - self.starts_at
        found = series.instants(at - length, at + within) if series is not None else iter(())
        return any(moment + length > at for moment in found)

    def expanded(self, start: datetime, end: datetime) -> Window:
        """This window with its occurrences over [start, end] worked out once, for many lookups."""
        stop = end + timedelta(microseconds=1)
        return replace(self, known=(start, stop, tuple(self._spans(start, stop))))

    def _spans(self, start: datetime, end: datetime) -> Iterator[Span]:
        """Occurrences overlapping [start, end), in order, expanding only the periods around them."""
        length = self.ends_at - self.starts_at
        first = (self.starts_at, self.ends_at)  # RFC 5545: the first occurrence is always one
        if first[1] > start and first[0] < end:
            yield first
        series = _series(self.rrule, self.starts_at, self.timezone) if self.rrule else None
        if series is None:
            return
        for moment in series.instants(start - length, end):
            if moment + length > start and moment != self.starts_at:
                yield moment, moment + length

    def ends_for_good(self) -> datetime | None:
        """When the last occurrence is over (None: never); windows past it need not be loaded."""
        if self.rrule is None:
            return self.ends_at
        series = _series(self.rrule, self.starts_at, self.timezone)
        until = series.rule.until if series is not None else None
        if series is None or until is None:
            return None if series is not None else self.ends_at
        last = until if until.tzinfo is not None else series.instant(until)
        return max(last + (self.ends_at - self.starts_at), self.ends_at)


@lru_cache(maxsize=2048)
def _series(rrule: str, starts_at: datetime, timezone: str) -> Series | None:
    """Parse once per rule, first occurrence and zone; a stored rule refused today recurs no more."""
    try:
        zone = zone_named(timezone)
        return Series.of(parse_rule(rrule), starts_at.astimezone(zone).replace(tzinfo=None), zone)
    except InvalidInput:
        return None


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (``Europe/Berlin``), or a 422 on ``timezone``."""
    if not isinstance(name, str) or len(name) > 64 or not _ZONE_NAME.fullmatch(name) or name in _NOT_ZONES:
        raise InvalidInput("timezone must be an IANA time zone name such as Europe/Berlin", field="timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin",
                           field="timezone") from None  # fmt: skip


def normalize_rrule(recurrence: str | None) -> str | None:
    """Accept ``None``, ``"weekly"`` or an RRULE (with or without ``RRULE:``); the canonical text."""
    if recurrence is None or recurrence.strip() == "":
        return None
    text = recurrence.strip()
    if text.lower() == "weekly":
        return WEEKLY
    text = text.removeprefix("RRULE:").removeprefix("rrule:")
    if "\n" in text or "\r" in text or "DTSTART" in text.upper():
        raise InvalidInput("recurrence must be a single RRULE line without DTSTART", field="recurrence")
    return parse_rule(text).text


def check_window(
    starts_at: datetime, ends_at: datetime, timezone: str = DEFAULT_ZONE, *, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """The window's bounds in UTC, once they make sense; times without an offset are in ``timezone``."""
    zone = zone_named(timezone)
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        # Checked before any arithmetic: year 1 or 9999 with an offset would overflow.
        if not EARLIEST_YEAR <= value.year <= 9000:
            raise InvalidInput(f"{name} must be a date from {EARLIEST_YEAR} on", field=name)
    starts_at, ends_at = (_aware(t, zone).astimezone(UTC) for t in (starts_at, ends_at))
    if ends_at <= starts_at:
        raise InvalidInput("ends_at must be after starts_at", field="ends_at")
    if ends_at - starts_at > MAX_DURATION:
        raise InvalidInput("a maintenance window lasts at most 31 days", field="ends_at")
    if now is not None and starts_at > now + MAX_AHEAD:
        raise InvalidInput("starts_at must be at most 5 years ahead", field="starts_at")
    return starts_at, ends_at


@dataclass(frozen=True, slots=True)
class Schedule:
    starts_at: datetime
    ends_at: datetime
    rrule: str | None
    timezone: str

    @property
    def ends_for_good(self) -> datetime | None:
        return Window(self.starts_at, self.ends_at, self.rrule, None, self.timezone).ends_for_good()


def plan(
    starts_at: datetime, ends_at: datetime, recurrence: str | None, timezone: str, now: datetime
) -> Schedule:
    """Everything about when a window happens, checked before it is saved (each refusal a 422).

    The cost is bounded whatever the input: the rule is parsed without expanding it, and the one
    expansion (is there an occurrence in the coming 366 days?) covers at most that year.
    """
    starts_at, ends_at = check_window(starts_at, ends_at, timezone, now=now)
    rrule = normalize_rrule(recurrence)
    if rrule is not None and not Window(starts_at, ends_at, rrule, None, timezone).recurs_within(now):
        raise InvalidInput("recurrence has no occurrence in the coming 366 days", field="recurrence")
    return Schedule(starts_at, ends_at, rrule, timezone)


def _aware(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def active_for(windows: Iterable[Window], monitor_id: str, moment: datetime) -> bool:
    return any(w.applies_to(monitor_id) and w.active_at(moment) for w in windows)


def spans_for(windows: Iterable[Window], monitor_id: str, start: datetime, end: datetime) -> list[Span]:
    return [s for w in windows if w.applies_to(monitor_id) for s in w.spans(start, end)]


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
