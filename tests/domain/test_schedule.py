from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from statusping.domain.schedule import next_check_at, next_slot, offset_seconds
from statusping.domain.status import MonitorState, Status

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_monitors_of_one_interval_spread_evenly_over_it() -> None:
    seconds = Counter(int(offset_seconds(str(uuid.uuid4()), 30)) for _ in range(10_000))
    assert set(seconds) == set(range(30))
    # ~333 a second; no second gets more than about twice its share.
    assert max(seconds.values()) < 2 * 10_000 / 30


def test_a_monitor_keeps_its_slot() -> None:
    key = str(uuid.uuid4())
    first = next_slot(key, 60, T0)
    assert T0 < first <= T0 + timedelta(seconds=60)
    assert next_slot(key, 60, first) == first + timedelta(seconds=60)
    assert next_slot(key, 60, first - timedelta(microseconds=1)) == first
    # After an hour's downtime the next slot is still on the same grid, within one interval.
    later = next_slot(key, 60, T0 + timedelta(hours=1, seconds=1))
    assert (later - first).total_seconds() % 60 == 0


def test_an_unconfirmed_failure_is_rechecked_at_the_retry_interval() -> None:
    key = str(uuid.uuid4())
    confirming = MonitorState(status=Status.UP, consecutive_failures=1, first_failure_at=T0)
    due = next_check_at(key, confirming, interval_seconds=300, retry_interval_seconds=20, checked_at=T0)
    assert due <= T0 + timedelta(seconds=20)


def test_a_healthy_or_down_monitor_waits_for_its_slot() -> None:
    key = str(uuid.uuid4())
    for state in (
        MonitorState(status=Status.UP),
        MonitorState(status=Status.DOWN, consecutive_failures=5, first_failure_at=T0),
    ):
        due = next_check_at(key, state, interval_seconds=300, retry_interval_seconds=20, checked_at=T0)
        assert due == next_slot(key, 300, T0 + timedelta(seconds=150))
        assert timedelta(seconds=150) < due - T0 <= timedelta(seconds=450)


def test_a_check_on_its_slot_is_followed_by_the_next_slot() -> None:
    key = str(uuid.uuid4())
    slot = next_slot(key, 30, T0)
    state = MonitorState(status=Status.UP)
    due = next_check_at(key, state, interval_seconds=30, retry_interval_seconds=20, checked_at=slot)
    assert due == slot + timedelta(seconds=30)


def test_a_retry_that_clears_a_failure_is_followed_by_the_very_next_slot() -> None:
    # Slots every 30 s; a blip on one slot is retried 20 s later and succeeds. The next slot is
    # 10 s away: it is checked, not skipped (skipping it left an outage starting then unseen for 40 s).
    key = str(uuid.uuid4())
    slot = next_slot(key, 30, T0)
    retry = slot + timedelta(seconds=20, milliseconds=40)
    up = MonitorState(status=Status.UP)
    due = next_check_at(
        key, up, interval_seconds=30, retry_interval_seconds=20, checked_at=retry, after_retry=True
    )
    assert due == slot + timedelta(seconds=30)
    # An ordinary check never is followed by a slot closer than half an interval.
    due = next_check_at(key, up, interval_seconds=30, retry_interval_seconds=20, checked_at=retry)
    assert due == slot + timedelta(seconds=60)
