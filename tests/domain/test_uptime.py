from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statusping.domain.intervals import clip, merge, subtract, total_seconds
from statusping.domain.latency import LATENCY_BOUNDS_MS, bucket_of, percentile
from statusping.domain.rollups import DAY, HOUR, increments, split_by_bucket
from statusping.domain.uptime import Window, uptime, window_allowed

T0 = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_spans_merge_clip_and_subtract() -> None:
    assert merge([(at(0), at(10)), (at(5), at(20)), (at(30), at(40))]) == [(at(0), at(20)), (at(30), at(40))]
    assert clip([(at(0), at(20))], at(10), at(30)) == [(at(10), at(20))]
    assert subtract([(at(0), at(60))], [(at(10), at(20)), (at(30), at(40))]) == [
        (at(0), at(10)), (at(20), at(30)), (at(40), at(60))
    ]  # fmt: skip
    assert total_seconds([(at(0), at(1)), (at(0), at(2))]) == 120


def test_uptime_weighs_downtime_by_time_not_by_checks() -> None:
    figure = uptime(start=at(0), end=at(100), monitored_from=at(0), outages=[(at(10), at(20))])
    assert figure.uptime_percent == 90.0
    assert figure.downtime_seconds == 600


def test_time_before_the_monitor_existed_is_not_counted() -> None:
    figure = uptime(start=at(0), end=at(100), monitored_from=at(50), outages=[(at(60), at(70))])
    assert figure.uptime_percent == 80.0


def test_paused_and_maintenance_time_is_left_out_of_both_sides() -> None:
    figure = uptime(
        start=at(0), end=at(100), monitored_from=at(0),
        outages=[(at(10), at(30))], excluded=[(at(20), at(60))],
    )  # fmt: skip
    # monitored 60 min, of which 10 min down (10–20; 20–30 falls in the excluded span)
    assert figure.uptime_percent == pytest.approx(100 * (1 - 10 / 60), abs=1e-3)


def test_an_open_outage_counts_until_the_end_of_the_window() -> None:
    figure = uptime(start=at(0), end=at(100), monitored_from=at(0), outages=[(at(90), at(100))])
    assert figure.uptime_percent == 90.0


def test_nothing_monitored_gives_no_figure() -> None:
    assert uptime(start=at(0), end=at(10), monitored_from=at(20), outages=[]).uptime_percent is None


def test_windows_beyond_the_plan_history_are_not_allowed() -> None:
    assert window_allowed(Window.DAY, 1)
    assert not window_allowed(Window.WEEK, 1)
    assert window_allowed(Window.QUARTER, 90)
    assert not window_allowed(Window.YEAR, 90)
    assert window_allowed(Window.YEAR, None)


def test_latency_percentiles_come_from_the_histogram_within_a_bucket() -> None:
    counts = [0] * (len(LATENCY_BOUNDS_MS) + 1)
    for ms in [42.0] * 90 + [480.0] * 10:
        counts[bucket_of(ms)] += 1
    p50 = percentile(counts, 0.5, lowest=42.0, highest=480.0)
    p95 = percentile(counts, 0.95, lowest=42.0, highest=480.0)
    assert p50 is not None
    assert 35 <= p50 <= 50
    assert p95 is not None
    assert 300 <= p95 <= 480
    assert percentile([0] * len(counts), 0.5, lowest=None, highest=None) is None


def test_results_become_hourly_and_daily_additions() -> None:
    results = [
        {"monitor_id": "m", "region": "r", "checked_at": at(5), "ok": True, "response_ms": 10.0,
         "dns_ms": 1.0, "connect_ms": 2.0, "tls_ms": None, "ttfb_ms": 5.0},
        {"monitor_id": "m", "region": "r", "checked_at": at(50), "ok": False, "response_ms": None,
         "dns_ms": None, "connect_ms": None, "tls_ms": None, "ttfb_ms": None},
        {"monitor_id": "m", "region": "r", "checked_at": at(65), "ok": True, "response_ms": 30.0,
         "dns_ms": None, "connect_ms": None, "tls_ms": None, "ttfb_ms": None},
    ]  # fmt: skip
    hourly = increments(results, HOUR)
    assert [(r["bucket_start"], r["checks"], r["failures"]) for r in hourly] == [
        (at(0), 2, 1),
        (at(60), 1, 0),
    ]
    (daily,) = increments(results, DAY)
    assert daily["checks"] == 3
    assert daily["response_sum"] == 40.0
    assert daily["response_min"] == 10.0
    assert daily["response_max"] == 30.0
    assert daily["dns_count"] == 1


def test_downtime_is_split_across_the_buckets_it_spans() -> None:
    assert split_by_bucket(at(50), at(70), HOUR) == [(at(0), 600.0), (at(60), 600.0)]
