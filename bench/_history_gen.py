"""Generated history rows, equal in shape and arithmetic to what the write path stores after retention.

Every value goes through the code the write path uses: a raw row is ``services.recording.result_row`` of a
real ``CheckOutcome`` (made once per monitor into a pool, then stamped with each check's time), an
hourly bucket is ``domain.rollups.increments`` over simulated checks (a pool of whole-hour templates per
monitor, and a fresh simulation for every hour an outage touches), downtime is
``domain.rollups.split_by_bucket`` of each incident, and a daily bucket is the sum of its hours (what
the recorder's upserts add up to). ``validate`` in ``_history_db`` checks both claims against the real
``recorder.record`` once per run.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from statusping.domain.checks import CheckOutcome, ErrorKind, StatusSet, Timings, status_error
from statusping.domain.rollups import DAY, HOUR, floor_to, increments, split_by_bucket
from statusping.outbound.failures import timeout_message
from statusping.services.recording import Observation, result_row
from statusping.storage.models import HourlyRollup
from statusping.storage.models.check_result import ERROR_KIND_CODES
from statusping.storage.repositories.history import SUM_COLUMNS
from statusping.storage.types import epoch_ms, whole_ms

REGION = "default"  # EngineOptions.region / Settings.region default
REGION_NUM = 1  # its regions.num in a fresh database (bench/_history_db.py adds it first)
# check_results as storage/models/check_result.py lays it out; a raw tuple carries the failure's
# error text after these (None for a success), which goes to check_errors.
RAW_COLUMNS: tuple[str, ...] = (
    "monitor_num", "checked_at", "region_num", "ok", "status_code", "response_ms", "dns_ms",
    "connect_ms", "tls_ms", "ttfb_ms", "error_kind",
)  # fmt: skip
ERROR_COLUMNS: tuple[str, ...] = ("monitor_num", "checked_at", "region_num", "error")
ROLLUP_COLUMNS: tuple[str, ...] = tuple(c.name for c in HourlyRollup.__table__.columns)
KEY_COLUMNS = ("monitor_id", "region", "bucket_start")
VALUE_COLUMNS: tuple[str, ...] = ROLLUP_COLUMNS[3:]
INCIDENT_COLUMNS = (
    "id",
    "organization_id",
    "monitor_id",
    "started_at",
    "confirmed_at",
    "resolved_at",
    "cause",
)
assert ROLLUP_COLUMNS[:3] == KEY_COLUMNS
assert RAW_COLUMNS[:3] == ERROR_COLUMNS[:3]
_SUM_INDEXES = tuple(VALUE_COLUMNS.index(name) for name in SUM_COLUMNS)
_MIN_INDEX = VALUE_COLUMNS.index("response_min")
_MAX_INDEX = VALUE_COLUMNS.index("response_max")
_FLOAT_INDEXES = frozenset(
    i for i, name in enumerate(VALUE_COLUMNS) if name.endswith("_sum") or name == "downtime_seconds"
)
POOL = 256  # successful outcomes per monitor
TEMPLATES = 24  # whole-hour rollup templates per monitor


@dataclass(frozen=True)
class Encoder:
    """How bound values look on the wire for one driver (SQLite gets what SQLAlchemy would send)."""

    uuid: Callable[[uuid.UUID], Any]
    time: Callable[[datetime], Any]
    bool: Callable[[bool], Any]


def _sqlite_time(moment: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage format (always with microseconds), naive UTC (UTCDateTime).
    return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


SQLITE = Encoder(uuid=lambda u: u.hex, time=_sqlite_time, bool=int)
POSTGRES = Encoder(uuid=lambda u: u, time=lambda t: t, bool=lambda b: b)


@dataclass(frozen=True)
class MonitorSpec:
    monitor_id: uuid.UUID
    organization_id: uuid.UUID
    seed: int
    interval_s: int = 30
    timeout_s: float = 10.0
    failure_threshold: int = 3
    num: int = 0  # monitors.num, the key of its check results

    @property
    def phase_us(self) -> int:
        """Offset of this monitor's slots inside the interval (the scheduler spreads monitors)."""
        # Kept a second short of the interval so a late start never slips into the next slot's hour.
        return (self.seed * 7_919_000) % ((self.interval_s - 1) * 1_000_000)


@dataclass(frozen=True)
class Outage:
    """A confirmed outage from check ``first`` (the first failure) to check ``recovered`` (exclusive)."""

    first: int
    recovered: int


@dataclass
class MonitorRows:
    raw: list[tuple[Any, ...]] = field(default_factory=list)
    hourly: list[tuple[Any, ...]] = field(default_factory=list)
    daily: list[tuple[Any, ...]] = field(default_factory=list)
    incidents: list[tuple[Any, ...]] = field(default_factory=list)


# Outcomes -------------------------------------------------------------------------------------


def success_outcomes(rng: random.Random, count: int) -> list[CheckOutcome]:
    """Plausible HTTPS checks of one site: a per-site median, lognormal spread, rare slow outliers."""
    median = min(2500.0, max(15.0, rng.lognormvariate(math.log(120), 0.6)))
    https = rng.random() < 0.9
    outcomes = []
    for _ in range(count):
        total = median * rng.lognormvariate(0, 0.3)
        if rng.random() < 0.01:
            total *= rng.uniform(2, 8)
        dns = total * rng.uniform(0.005, 0.05) if rng.random() < 0.3 else None  # resolver cache
        connect = total * rng.uniform(0.05, 0.15)
        tls = total * rng.uniform(0.1, 0.25) if https else None
        ttfb = total * rng.uniform(0.35, 0.6)
        outcomes.append(
            CheckOutcome(
                ok=True,
                response_ms=round(total, 2),
                status_code=200,
                timings=Timings(dns_ms=dns, connect_ms=connect, tls_ms=tls, ttfb_ms=ttfb),
            )
        )
    return outcomes


def failure_outcomes(rng: random.Random, timeout_s: float) -> list[CheckOutcome]:
    """The failures a blip produces: mostly timeouts, some 5xx answers (with their timings)."""
    timeout = CheckOutcome.failure(ErrorKind.TIMEOUT, timeout_message(timeout_s))
    ms = round(rng.uniform(20, 400), 2)
    unavailable = CheckOutcome.failure(
        ErrorKind.STATUS,
        status_error(503, "Service Unavailable", StatusSet.parse("200-299")),
        response_ms=ms,
        status_code=503,
        timings=Timings(connect_ms=ms * 0.1, tls_ms=ms * 0.2, ttfb_ms=ms * 0.6),
    )
    return [timeout, timeout, timeout, unavailable]


@dataclass
class Profile:
    """One monitor's pools: stored-row values (via ``result_row``) and whole-hour templates."""

    spec: MonitorSpec
    rng: random.Random
    ok_rows: list[dict[str, Any]]
    fail_rows: list[dict[str, Any]]
    timeout_row: dict[str, Any]
    templates: list[tuple[Any, ...]]
    tails: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # id(stored dict) → encoded values

    def tail(self, stored: dict[str, Any]) -> tuple[Any, ...]:
        return self.tails[id(stored)]

    def pick(self, failure_rate: float) -> dict[str, Any]:
        if failure_rate and self.rng.random() < failure_rate:
            return self.rng.choice(self.fail_rows)
        return self.ok_rows[self.rng.randrange(len(self.ok_rows))]


def _stored(spec: MonitorSpec, outcome: CheckOutcome, at: datetime) -> dict[str, Any]:
    return result_row(Observation(monitor_id=spec.monitor_id, outcome=outcome, checked_at=at), REGION)


def compact_tail(stored: dict[str, Any], enc: Encoder) -> tuple[Any, ...]:
    """A result row (``result_row``) as the columns after the key hold it, then its error text."""
    kind = stored["error_kind"]
    return (
        REGION_NUM,
        enc.bool(stored["ok"]),
        stored["status_code"] or 0,
        whole_ms(stored["response_ms"], 2**31 - 1),
        *(whole_ms(stored[name]) for name in ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms")),
        0 if kind is None else ERROR_KIND_CODES[kind],
        stored["error"],
    )


def make_profile(spec: MonitorSpec, enc: Encoder, *, failure_rate: float, at: datetime) -> Profile:
    rng = random.Random(spec.seed)
    failures = failure_outcomes(rng, spec.timeout_s)
    profile = Profile(
        spec=spec,
        rng=rng,
        ok_rows=[_stored(spec, o, at) for o in success_outcomes(rng, POOL)],
        fail_rows=[_stored(spec, o, at) for o in failures],
        timeout_row=_stored(spec, failures[0], at),
        templates=[],
    )
    for stored in (*profile.ok_rows, *profile.fail_rows, profile.timeout_row):
        profile.tails[id(stored)] = compact_tail(stored, enc)
    per_hour = 3600 // spec.interval_s
    hour = floor_to(at, HOUR)
    for _ in range(TEMPLATES):
        checks = [profile.pick(failure_rate) for _ in range(per_hour)]
        (row,) = rollups_from_results([{**c, "checked_at": hour} for c in checks], [], HOUR)
        profile.templates.append(row)
    return profile


# Rollup arithmetic ----------------------------------------------------------------------------


def _values(row: dict[str, Any]) -> tuple[Any, ...]:
    """A rollup row as ``add_to_rollups`` fills it on insert (zeros for absent counters), value part."""
    out = []
    for index, name in enumerate(VALUE_COLUMNS):
        value: Any = row.get(name)
        if value is None and name not in ("response_min", "response_max"):
            value = 0
        if index in _FLOAT_INDEXES:
            value = float(value)
        out.append(value)
    return tuple(out)


def rollups_from_results(
    results: Iterable[dict[str, Any]], outages: Sequence[tuple[datetime, datetime]], unit: timedelta
) -> list[tuple[Any, ...]]:
    """Key + value tuples per bucket: ``increments`` of the checks plus ``split_by_bucket`` downtime."""
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in increments(results, unit):
        by_key[(row["monitor_id"], row["region"], row["bucket_start"])] = row
    keys = {key[:2] for key in by_key}
    for started, resolved in outages:
        for bucket, seconds in split_by_bucket(started, resolved, unit):
            for monitor_id, region in keys:
                row = by_key.setdefault((monitor_id, region, bucket), {})
                row["downtime_seconds"] = row.get("downtime_seconds", 0.0) + seconds
    return [(*key, *_values(row)) for key, row in sorted(by_key.items(), key=lambda kv: kv[0][2])]


def sum_values(rows: Sequence[Sequence[Any]]) -> tuple[Any, ...]:
    """What a bucket holds after every upsert in ``rows`` (value parts) has been added to it."""
    columns = list(zip(*rows, strict=True))
    out: list[Any] = [None] * len(VALUE_COLUMNS)
    for index in _SUM_INDEXES:
        out[index] = sum(columns[index])
    lows = [v for v in columns[_MIN_INDEX] if v is not None]
    highs = [v for v in columns[_MAX_INDEX] if v is not None]
    out[_MIN_INDEX] = min(lows) if lows else None
    out[_MAX_INDEX] = max(highs) if highs else None
    return tuple(out)


# One monitor's history ------------------------------------------------------------------------


def plan_outages(rng: random.Random, first: int, last: int) -> list[Outage]:
    """A few confirmed outages a year: 2–6, lasting 1 min – 4 h (median ~5 min), never overlapping."""
    outages: list[Outage] = []
    for _ in range(rng.randint(2, 6)):
        length = int(min(480, max(3, rng.lognormvariate(math.log(10), 1.0))))
        start = rng.randrange(first, max(first + 1, last - length))
        if all(start + length < o.first or start > o.recovered for o in outages):
            outages.append(Outage(start, start + length))
    return sorted(outages, key=lambda o: o.first)


@dataclass
class Hour:
    """What one monitor adds in one hour: its raw results, its hourly bucket, and a closed day's bucket."""

    raw: list[tuple[Any, ...]]
    hourly: tuple[Any, ...] | None
    daily: tuple[Any, ...] | None


@dataclass
class History:
    incidents: list[tuple[Any, ...]]
    hours: Iterator[Hour]


def history(
    profile: Profile,
    enc: Encoder,
    *,
    start: datetime,
    end: datetime,
    raw_from: datetime,
    hourly_from: datetime,
    daily_from: datetime,
    failure_rate: float,
    outages: Sequence[Outage] | None = None,
) -> History:
    """Rows of one monitor for checks in [start, end) as the write path leaves them after retention.

    ``start`` and ``end`` are whole hours; raw rows are kept from ``raw_from``, hourly buckets from
    ``hourly_from`` and daily buckets from ``daily_from``. Hours come lazily, so a filler can interleave
    monitors in time order as the engine writes them.
    """
    spec, rng = profile.spec, profile.rng
    step_us = spec.interval_s * 1_000_000
    per_hour = 3600 // spec.interval_s
    base = start + timedelta(microseconds=spec.phase_us)
    slots = int((end - start).total_seconds()) // spec.interval_s

    def checked_at(k: int) -> datetime:
        # The engine starts a check a little after its slot: 0–200 ms, fixed per check.
        return base + timedelta(microseconds=k * step_us + (k * 2_654_435_761) % 200_000)

    if outages is None:
        outages = plan_outages(rng, 0, slots - 1)
    spans = [(checked_at(o.first), checked_at(o.recovered)) for o in outages]
    failing = {k for o in outages for k in range(o.first, o.recovered)}
    mid = enc.uuid(spec.monitor_id)
    fmt = enc.time
    touched: dict[datetime, list[tuple[datetime, datetime]]] = {}
    for span in spans:
        for bucket, _ in split_by_bucket(span[0], span[1], HOUR):
            touched.setdefault(bucket, []).append(span)

    incidents = []
    for outage, (started, resolved) in zip(outages, spans, strict=True):
        # From the first failed check to the recovering check, confirmed at the threshold-th failure.
        confirmed = checked_at(min(outage.first + spec.failure_threshold - 1, outage.recovered - 1))
        incidents.append(
            (
                enc.uuid(uuid.UUID(int=rng.getrandbits(128), version=4)),
                enc.uuid(spec.organization_id),
                mid,
                fmt(started),
                fmt(confirmed),
                fmt(resolved),
                profile.timeout_row["error"],
            )
        )

    def hours() -> Iterator[Hour]:
        day_rows: list[tuple[Any, ...]] = []
        hour = start
        index = 0
        while hour < end:
            first = index * per_hour
            slots_here = range(first, min(slots, first + per_hour))
            raw: list[tuple[Any, ...]] = []
            if hour + HOUR > raw_from:
                for k in slots_here:
                    at = checked_at(k)
                    if at >= raw_from:
                        stored = profile.timeout_row if k in failing else profile.pick(failure_rate)
                        raw.append((spec.num, epoch_ms(at), *profile.tail(stored)))
            if hour in touched:
                # An outage hour: simulate its checks and add the downtime, as the recorder would.
                checks = [
                    {
                        **(profile.timeout_row if k in failing else profile.pick(failure_rate)),
                        "checked_at": checked_at(k),
                    }
                    for k in slots_here
                ]
                clipped = [(max(a, hour), min(b, hour + HOUR)) for a, b in touched[hour]]
                values = tuple(rollups_from_results(checks, clipped, HOUR)[0][3:])
            else:
                values = profile.templates[rng.randrange(TEMPLATES)][3:]
            day_rows.append(values)
            following = hour + HOUR
            daily = None
            if following >= end or following.hour == 0:
                day = floor_to(hour, DAY)
                if day >= daily_from:
                    daily = (mid, REGION, fmt(day), *sum_values(day_rows))
                day_rows = []
            hourly = (mid, REGION, fmt(hour), *values) if hour >= hourly_from else None
            yield Hour(raw, hourly, daily)
            hour = following
            index += 1

    return History(incidents, hours())


def collect(history: History) -> MonitorRows:
    rows = MonitorRows(incidents=list(history.incidents))
    for hour in history.hours:
        rows.raw += hour.raw
        if hour.hourly is not None:
            rows.hourly.append(hour.hourly)
        if hour.daily is not None:
            rows.daily.append(hour.daily)
    return rows
