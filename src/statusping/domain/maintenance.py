"""Maintenance windows: one-off or recurring (weekly, or any RFC 5545 RRULE)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dateutil.rrule import rrulestr

from statusping.domain.errors import InvalidInput
from statusping.domain.intervals import Span

MAX_DURATION = timedelta(days=31)
WEEKLY = "FREQ=WEEKLY"
ALLOWED_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}


@dataclass(frozen=True, slots=True)
class Window:
    starts_at: datetime
    ends_at: datetime
    rrule: str | None
    monitor_ids: frozenset[str] | None  # None: all of the organization's monitors

    def applies_to(self, monitor_id: str) -> bool:
        return self.monitor_ids is None or monitor_id in self.monitor_ids

    def spans(self, start: datetime, end: datetime) -> list[Span]:
        """The occurrences that overlap [start, end)."""
        length = self.ends_at - self.starts_at
        if self.rrule is None:
            return [(self.starts_at, self.ends_at)] if self.ends_at > start and self.starts_at < end else []
        rule = rrulestr(self.rrule, dtstart=self.starts_at)
        # An occurrence that began up to one length before `start` may still be running.
        occurrences = rule.between(start - length, end, inc=True)
        return [(o, o + length) for o in occurrences if o + length > start and o < end]

    def active_at(self, moment: datetime) -> bool:
        return bool(self.spans(moment, moment + timedelta(microseconds=1)))


def normalize_rrule(recurrence: str | None, starts_at: datetime) -> str | None:
    """Accept ``None``, ``"weekly"`` or an RRULE (with or without the ``RRULE:`` prefix)."""
    if recurrence is None or recurrence.strip() == "":
        return None
    text = recurrence.strip()
    if text.lower() == "weekly":
        return WEEKLY
    text = text.removeprefix("RRULE:").removeprefix("rrule:")
    if "\n" in text or "DTSTART" in text.upper():
        raise InvalidInput("recurrence must be a single RRULE line without DTSTART", field="recurrence")
    freq = next((p.split("=", 1)[1].upper() for p in text.split(";") if p.upper().startswith("FREQ=")), "")
    if freq not in ALLOWED_FREQUENCIES:
        # Finer rules (every minute…) would make a year's uptime expand millions of occurrences.
        raise InvalidInput(
            "recurrence must repeat DAILY, WEEKLY, MONTHLY or YEARLY (FREQ=…)", field="recurrence"
        )
    try:
        rule = rrulestr(text, dtstart=starts_at)
        next(iter(rule))
    except (ValueError, TypeError, StopIteration) as exc:
        raise InvalidInput(f"recurrence is not a valid RRULE: {exc}", field="recurrence") from None
    return text.upper()


def check_window(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    """The window's bounds in UTC, once they make sense."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("starts_at and ends_at must carry a time zone", field="starts_at")
    if ends_at <= starts_at:
        raise InvalidInput("ends_at must be after starts_at", field="ends_at")
    if ends_at - starts_at > MAX_DURATION:
        raise InvalidInput("a maintenance window lasts at most 31 days", field="ends_at")
    return starts_at.astimezone(UTC), ends_at.astimezone(UTC)


def active_for(windows: Iterable[Window], monitor_id: str, moment: datetime) -> bool:
    return any(w.applies_to(monitor_id) and w.active_at(moment) for w in windows)


def spans_for(windows: Iterable[Window], monitor_id: str, start: datetime, end: datetime) -> list[Span]:
    return [s for w in windows if w.applies_to(monitor_id) for s in w.spans(start, end)]


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
