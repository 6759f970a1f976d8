"""Recurrence rules of maintenance windows: parsed strictly, bounded in cost, expanded in local time.

The grammar is the part of RFC 5545 §3.3.10 a maintenance schedule needs:

- ``FREQ`` exactly once: ``DAILY``, ``WEEKLY``, ``MONTHLY`` or ``YEARLY``. Finer frequencies are refused:
  a window every second or minute is not maintenance, and several windows a day are written
  ``FREQ=DAILY;BYHOUR=2,14``.
- ``INTERVAL`` 1–1000, ``WKST``, ``UNTIL`` (``YYYYMMDD``, ``YYYYMMDDTHHMMSS`` in the window's zone, or
  ``…Z`` in UTC; a date alone means through the end of that day). ``COUNT`` is refused: end a series
  with ``UNTIL``.
- ``BYMONTH``, ``BYMONTHDAY`` (not with WEEKLY), ``BYDAY`` (ordinals such as ``1MO``/``-1FR`` only with
  MONTHLY or YEARLY), ``BYHOUR``, ``BYMINUTE``, ``BYSECOND`` (one value at most), ``BYSETPOS`` (with
  another BY part). No part may appear twice, no list may repeat a value, and the times of day
  (BYHOUR × BYMINUTE × BYSECOND) are at most ``MAX_PER_DAY``.

Expansion does not use dateutil's iterator: it walks from the rule's first occurrence, and a period
without a match makes it keep walking (to year 9999 for a rule that never occurs again). Here
:class:`Series` jumps straight to the aligned periods (day, week, month or year) that overlap the
asked range and expands only those, so the cost of a lookup is bounded by the range, never by how
old the rule is or how rarely it matches: at most ``range / period + 2`` periods, each at most 366
day checks and ``366 × MAX_PER_DAY`` candidate times (days outside the range are skipped unless
``BYSETPOS`` needs the whole period). Occurrences are computed in the window's zone (wall-clock
times) and turned into instants as RFC 5545 §3.3.5 says: a time that occurs twice (autumn) is the
first of the two, a time that does not exist (spring) is read with the offset before the gap, so
02:30 on the spring-forward day in Europe/Berlin is 03:30 CEST.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import product
from zoneinfo import ZoneInfo

from statusping.domain.errors import InvalidInput

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
PARTS = frozenset(
    {"FREQ", "INTERVAL", "UNTIL", "COUNT", "WKST", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYHOUR",
     "BYMINUTE", "BYSECOND", "BYSETPOS"}
)  # fmt: skip
MAX_PER_DAY = 24
MAX_INTERVAL = 1000
MAX_TEXT = 500
_FIELD = "recurrence"
_INT = re.compile(r"[+-]?\d{1,4}")
_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?")


def _refuse(reason: str) -> InvalidInput:
    return InvalidInput(f"recurrence {reason}", field=_FIELD)


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed, validated RRULE; ``text`` is its canonical spelling (what is stored and shown)."""

    text: str
    freq: str
    interval: int = 1
    wkst: int = 0
    until: datetime | None = None  # naive: wall-clock time in the window's zone; aware: an instant
    bymonth: tuple[int, ...] = ()
    bymonthday: tuple[int, ...] = ()
    byday: tuple[tuple[int, int], ...] = ()  # (weekday, ordinal); ordinal 0 = every such weekday
    byhour: tuple[int, ...] = ()
    byminute: tuple[int, ...] = ()
    bysecond: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()


def parse_rule(text: str) -> Rule:
    """Parse an RRULE (without the ``RRULE:`` prefix) or say precisely why it is refused."""
    if len(text) > MAX_TEXT:
        raise _refuse(f"must be at most {MAX_TEXT} characters")
    parts: dict[str, str] = {}
    for chunk in text.split(";"):
        name, sep, value = chunk.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not sep or not name or not value:
            raise _refuse(f"part {chunk.strip()[:40]!r} is not NAME=VALUE")
        if name not in PARTS:
            raise _refuse(f"part {name[:20]} is not supported (use {', '.join(sorted(PARTS - {'COUNT'}))})")
        if name in parts:
            raise _refuse(f"names {name} twice")
        parts[name] = value
    freq = parts.get("FREQ")
    if freq is None:
        raise _refuse("must name a FREQ")
    if freq not in FREQUENCIES:
        raise _refuse(
            "must repeat DAILY, WEEKLY, MONTHLY or YEARLY (FREQ=…); several windows a day are "
            "FREQ=DAILY;BYHOUR=…"
        )
    if "COUNT" in parts:
        raise _refuse("may not use COUNT: end the series with UNTIL")
    rule = Rule(
        text=";".join(f"{k}={v}" for k, v in sorted(parts.items(), key=lambda kv: kv[0] != "FREQ")),
        freq=freq,
        interval=_ints(parts, "INTERVAL", 1, MAX_INTERVAL, signed=False)[0] if "INTERVAL" in parts else 1,
        wkst=_weekday(parts["WKST"]) if "WKST" in parts else 0,
        until=_until(parts["UNTIL"]) if "UNTIL" in parts else None,
        bymonth=_ints(parts, "BYMONTH", 1, 12, signed=False),
        bymonthday=_ints(parts, "BYMONTHDAY", 1, 31, signed=True),
        byday=_byday(parts.get("BYDAY"), freq),
        byhour=_ints(parts, "BYHOUR", 0, 23, signed=False),
        byminute=_ints(parts, "BYMINUTE", 0, 59, signed=False),
        bysecond=_ints(parts, "BYSECOND", 0, 59, signed=False),
        bysetpos=_ints(parts, "BYSETPOS", 1, 366, signed=True),
    )
    _check_combination(rule)
    return rule


def _check_combination(rule: Rule) -> None:
    if rule.bymonthday and rule.freq == "WEEKLY":
        raise _refuse("may not use BYMONTHDAY with FREQ=WEEKLY")
    if len(rule.bysecond) > 1:
        raise _refuse("may name one BYSECOND at most")
    per_day = max(len(rule.byhour), 1) * max(len(rule.byminute), 1) * max(len(rule.bysecond), 1)
    if per_day > MAX_PER_DAY:
        raise _refuse(f"may start at most {MAX_PER_DAY} windows a day (BYHOUR × BYMINUTE × BYSECOND)")
    if rule.bysetpos and not (rule.bymonth or rule.bymonthday or rule.byday or rule.byhour or rule.byminute):
        raise _refuse("may use BYSETPOS only with another BY… part")


def _values(parts: dict[str, str], name: str) -> list[str]:
    values = parts[name].split(",")
    if len(values) != len(set(values)):
        raise _refuse(f"lists a {name} value twice")
    return values


def _ints(parts: dict[str, str], name: str, low: int, high: int, *, signed: bool) -> tuple[int, ...]:
    if name not in parts:
        return ()
    found: set[int] = set()
    for value in _values(parts, name):
        number = int(value) if _INT.fullmatch(value) else None
        if number is None or not low <= abs(number) <= high or (number < 0 and not signed):
            span = f"±{low}–{high}" if signed else f"{low}–{high}"
            raise _refuse(f"{name} values must be whole numbers {span}, not {value[:10]!r}")
        if number in found:
            raise _refuse(f"lists a {name} value twice")
        found.add(number)
    return tuple(sorted(found))


def _weekday(value: str) -> int:
    if value not in WEEKDAYS:
        raise _refuse(f"WKST must be one of {', '.join(WEEKDAYS)}")
    return WEEKDAYS.index(value)


def _byday(value: str | None, freq: str) -> tuple[tuple[int, int], ...]:
    if value is None:
        return ()
    found: set[tuple[int, int]] = set()
    limit = {"MONTHLY": 5, "YEARLY": 53}.get(freq, 0)
    for item in _values({"BYDAY": value}, "BYDAY"):
        match = _BYDAY.fullmatch(item)
        if match is None:
            raise _refuse(f"BYDAY values are weekdays such as MO or 1MO, not {item[:10]!r}")
        ordinal = int(match.group(1) or 0)
        if match.group(1) and not 1 <= abs(ordinal) <= limit:
            raise _refuse(
                f"BYDAY ordinals need FREQ=MONTHLY (±1–5) or FREQ=YEARLY (±1–53), not {item!r}"
                if limit == 0
                else f"BYDAY ordinals with FREQ={freq} are ±1–{limit}, not {item!r}"
            )
        found.add((WEEKDAYS.index(match.group(2)), ordinal))
    return tuple(sorted(found))


def _until(value: str) -> datetime:
    match = _UNTIL.fullmatch(value)
    try:
        if match is None:
            raise ValueError
        y, mo, d, h, mi, s, zulu = match.groups()
        if h is None:  # a date: through the end of that day
            return datetime(int(y), int(mo), int(d), 23, 59, 59)
        moment = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s))
    except ValueError:
        raise _refuse("UNTIL must be YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ") from None
    return moment.replace(tzinfo=UTC) if zulu else moment


@dataclass(frozen=True, slots=True)
class Series:
    """A rule bound to its first occurrence (``start``, wall-clock time) and its zone.

    Everything the rule leaves out is taken from ``start`` once, as RFC 5545 says (a weekly rule
    repeats on the start's weekday, at the start's time), so that any period can be expanded
    without walking from the start.
    """

    rule: Rule
    start: datetime  # naive, wall-clock time in ``zone``
    zone: ZoneInfo
    bymonth: frozenset[int]
    bymonthday: frozenset[int]
    byday: dict[int, frozenset[int]]
    times: tuple[time, ...]

    @classmethod
    def of(cls, rule: Rule, start: datetime, zone: ZoneInfo) -> Series:
        bymonth, bymonthday, byday = set(rule.bymonth), set(rule.bymonthday), set(rule.byday)
        if not (rule.bymonthday or rule.byday):
            if rule.freq == "YEARLY":
                bymonth = bymonth or {start.month}
                bymonthday = {start.day}
            elif rule.freq == "MONTHLY":
                bymonthday = {start.day}
            elif rule.freq == "WEEKLY":
                byday = {(start.weekday(), 0)}
        days: dict[int, set[int]] = {}
        for weekday, ordinal in byday:
            days.setdefault(weekday, set()).add(ordinal)
        hours = rule.byhour or (start.hour,)
        minutes = rule.byminute or (start.minute,)
        seconds = rule.bysecond or (start.second,)
        return cls(
            rule=rule,
            start=start.replace(microsecond=0),
            zone=zone,
            bymonth=frozenset(bymonth),
            bymonthday=frozenset(bymonthday),
            byday={k: frozenset(v) for k, v in days.items()},
            times=tuple(sorted(time(h, m, s) for h, m, s in product(hours, minutes, seconds))),
        )

    def instants(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """The occurrences (UTC instants, in order) whose wall-clock time lies in [start, end) local."""
        local_start, local_end = self.local(start), self.local(end)
        until = self.rule.until if self.rule.until is not None and self.rule.until.tzinfo else None
        for moment in self.local_occurrences(local_start - _DAY, local_end + _DAY):
            instant = self.instant(moment)
            if until is not None and instant > until:
                return
            if start <= instant < end:
                yield instant

    def local_occurrences(self, low: datetime, high: datetime) -> Iterator[datetime]:
        """Wall-clock occurrences in [low, high), touching only the aligned periods in between."""
        rule = self.rule
        until = rule.until if rule.until is not None and rule.until.tzinfo is None else None
        first = self._period(self.start.date())
        index = max(first, self._period(max(low, self.start).date()))
        index = first + -(-(index - first) // rule.interval) * rule.interval  # next aligned period
        while True:
            try:
                days = self._days(index)
            except (ValueError, OverflowError):
                return  # past year 9999
            if days[0] >= high.date() + _DAY:
                return
            if not rule.bysetpos:  # without BYSETPOS the days outside the range cannot matter
                days = [d for d in days if low.date() <= d <= high.date()]
            for moment in self._expand(days):
                if moment >= high:
                    return
                if until is not None and moment > until:
                    return
                if moment >= low and moment >= self.start:
                    yield moment
            index += rule.interval

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone).replace(tzinfo=None)

    def instant(self, local: datetime) -> datetime:
        # fold=0: the first of a repeated time, the offset before the gap for a missing one (RFC 5545).
        return local.replace(tzinfo=self.zone).astimezone(UTC)

    def _expand(self, days: list[date]) -> list[datetime]:
        found = [datetime.combine(d, t) for d in days if self._matches(d) for t in self.times]
        if not self.rule.bysetpos:
            return found
        picked: set[datetime] = set()
        for position in self.rule.bysetpos:
            i = position - 1 if position > 0 else len(found) + position
            if 0 <= i < len(found):
                picked.add(found[i])
        return sorted(picked)

    def _matches(self, day: date) -> bool:
        if self.bymonth and day.month not in self.bymonth:
            return False
        month_length = calendar.monthrange(day.year, day.month)[1]
        if self.bymonthday and not {day.day, day.day - month_length - 1} & self.bymonthday:
            return False
        if self.byday:
            ordinals = self.byday.get(day.weekday())
            if ordinals is None:
                return False
            if 0 not in ordinals:
                return bool(_ordinals(day, month_length, self._by_month()) & ordinals)
        return True

    def _by_month(self) -> bool:
        return self.rule.freq == "MONTHLY" or (self.rule.freq == "YEARLY" and bool(self.rule.bymonth))

    def _period(self, day: date) -> int:
        freq = self.rule.freq
        if freq == "DAILY":
            return day.toordinal()
        if freq == "WEEKLY":
            return (day.toordinal() - (day.weekday() - self.rule.wkst) % 7) // 7
        if freq == "MONTHLY":
            return day.year * 12 + day.month - 1
        return day.year

    def _days(self, index: int) -> list[date]:
        freq = self.rule.freq
        if freq == "DAILY":
            return [date.fromordinal(index)]
        if freq == "WEEKLY":
            # A week starts on WKST: the one ordinal in [index*7, index*7+7) whose weekday is WKST.
            first = index * 7 + (self.rule.wkst - (index * 7 + 6) % 7) % 7  # (ordinal + 6) % 7: weekday
            return [date.fromordinal(first + i) for i in range(7)]
        if freq == "MONTHLY":
            year, month = divmod(index, 12)
            begin = date(year, month + 1, 1)
            return [begin + timedelta(days=i) for i in range(calendar.monthrange(year, month + 1)[1])]
        begin = date(index, 1, 1)
        return [begin + timedelta(days=i) for i in range(366 if calendar.isleap(index) else 365)]


def _ordinals(day: date, month_length: int, by_month: bool) -> set[int]:
    """Which nth (from the start and from the end) weekday of its month or year ``day`` is."""
    if by_month:
        return {(day.day - 1) // 7 + 1, -((month_length - day.day) // 7 + 1)}
    yday = day.timetuple().tm_yday
    length = 366 if calendar.isleap(day.year) else 365
    return {(yday - 1) // 7 + 1, -((length - yday) // 7 + 1)}


_DAY = timedelta(days=1)
