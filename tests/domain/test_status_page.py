"""What a status page claims, as pure rules: component statuses, the banner, the day cells."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statusping.domain.status_page import (
    INDICATORS,
    ComponentStatus,
    Overall,
    component_status,
    day_cells,
    overall_status,
    worst,
)

OK, DOWN, MAINT = ComponentStatus.OPERATIONAL, ComponentStatus.MAJOR, ComponentStatus.MAINTENANCE
NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
TODAY = NOW.replace(hour=0)


@pytest.mark.parametrize(
    ("monitor", "paused", "maintenance", "expected"),
    [
        ("up", False, False, OK),
        ("pending", False, False, OK),
        ("down", False, False, DOWN),
        ("degraded", False, False, ComponentStatus.DEGRADED),
        ("down", False, True, MAINT),
        ("up", True, False, None),
        ("paused", False, False, None),
    ],
)
def test_a_monitor_maps_to_a_component_status_or_is_hidden(
    monitor: str, paused: bool, maintenance: bool, expected: ComponentStatus | None
) -> None:
    assert component_status(monitor, paused=paused, in_maintenance=maintenance) is expected


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], Overall.OPERATIONAL),
        ([OK, OK], Overall.OPERATIONAL),
        ([DOWN], Overall.MAJOR),
        ([DOWN, DOWN, MAINT], Overall.MAJOR),
        ([DOWN, OK], Overall.PARTIAL),
        ([ComponentStatus.DEGRADED, OK], Overall.DEGRADED),
        ([MAINT, OK], Overall.MAINTENANCE),
        ([MAINT], Overall.MAINTENANCE),
    ],
)
def test_the_banner_is_major_when_all_are_down_and_partial_when_some_are(
    statuses: list[ComponentStatus], expected: Overall
) -> None:
    assert overall_status(statuses) is expected


def test_the_indicators_use_statuspages_values() -> None:
    assert {i for i, _ in INDICATORS.values()} == {"none", "minor", "major", "critical", "maintenance"}
    assert worst([OK, MAINT, DOWN, ComponentStatus.DEGRADED]) is DOWN


def test_a_day_cell_per_day_with_no_data_before_monitoring_began() -> None:
    created = TODAY - timedelta(days=2, hours=-6)
    checks = {(TODAY - timedelta(days=n)).date(): 100 for n in range(3)}
    cells = day_cells(
        now=NOW, monitored_from=created, history_from=NOW - timedelta(days=365),
        outages=[], excluded=[], checks_by_day=checks,
    )  # fmt: skip
    assert len(cells) == 90
    assert cells[-1].day == NOW.date()
    assert [c.level for c in cells[-4:]] == ["none", "up", "up", "up"]
    assert cells[-1].summary == "20 May 2026: 100% uptime, no downtime"


def test_an_open_outage_counts_today_and_days_beyond_the_plans_history_have_no_data() -> None:
    outage = (NOW - timedelta(hours=6), NOW)  # still running: ends at "now"
    checks = {(TODAY - timedelta(days=n)).date(): 100 for n in range(90)}
    cells = day_cells(
        now=NOW, monitored_from=NOW - timedelta(days=200), history_from=NOW - timedelta(days=1),
        outages=[outage], excluded=[], checks_by_day=checks,
    )  # fmt: skip
    today = cells[-1]
    assert today.downtime_minutes == 360
    assert today.uptime == 50.0
    assert today.level == "major"
    assert today.summary == "20 May 2026: 50.00% uptime, 360 min down, 1 incident"
    assert cells[-2].level == "up"  # yesterday is inside a one-day history
    assert {c.level for c in cells[:-2]} == {"none"}


def test_maintenance_is_left_out_and_an_outage_just_begun_is_not_green() -> None:
    checks = {TODAY.date(): 10}
    during_maintenance = day_cells(
        now=NOW, monitored_from=TODAY, history_from=TODAY,
        outages=[(TODAY + timedelta(hours=1), TODAY + timedelta(hours=2))],
        excluded=[(TODAY, TODAY + timedelta(hours=3))], checks_by_day=checks, days=1,
    )  # fmt: skip
    assert during_maintenance[0].downtime_seconds == 0
    just_begun = day_cells(
        now=NOW, monitored_from=TODAY, history_from=TODAY,
        outages=[(NOW, NOW)], excluded=[], checks_by_day=checks, days=1,
    )  # fmt: skip
    assert just_begun[0].incidents == 1
    assert just_begun[0].level == "minor"
