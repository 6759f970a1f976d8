"""When a monitor is next due.

Monitors of equal interval are spread over that interval by a stable per-monitor offset, so ten
thousand 30-second monitors fire about 333 a second instead of all in the same second, and keep their
slot across restarts (no burst when the engine comes back).
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

from statusping.domain.status import MonitorState

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def offset_seconds(monitor_key: str, interval_seconds: int) -> float:
    """A stable offset in [0, interval) derived from the monitor's id."""
    digest = hashlib.blake2b(monitor_key.encode(), digest_size=8).digest()
    fraction = int.from_bytes(digest, "big") / 2**64
    return fraction * interval_seconds


def next_slot(monitor_key: str, interval_seconds: int, after: datetime) -> datetime:
    """The first time strictly after ``after`` on this monitor's grid."""
    offset = offset_seconds(monitor_key, interval_seconds)
    elapsed = (after - _EPOCH).total_seconds() - offset
    slots = math.floor(elapsed / interval_seconds) + 1
    slot = _EPOCH + timedelta(seconds=offset + slots * interval_seconds)
    # Float rounding can land exactly on ``after`` when it is itself a slot; step past it.
    while slot <= after:
        slot += timedelta(seconds=interval_seconds)
    return slot


def next_check_at(
    monitor_key: str,
    state: MonitorState,
    *,
    interval_seconds: int,
    retry_interval_seconds: int,
    checked_at: datetime,
    after_retry: bool = False,
) -> datetime:
    """``after_retry``: the check just done was a confirmation retry (a failure was unconfirmed)."""
    # The slot after half an interval from now: back on the grid, but never a near-duplicate of
    # the check just done (after a first check or a check-now, the next slot may be a blink away).
    regular = next_slot(monitor_key, interval_seconds, checked_at + timedelta(seconds=interval_seconds / 2))
    if state.confirming:
        # Confirm or clear a failure quickly, but never later than the regular slot would be.
        return min(checked_at + timedelta(seconds=retry_interval_seconds), regular)
    if after_retry:
        # A retry ran between two slots: the next slot is a regular check, however near. Skipping it
        # would leave up to 1.5 intervals unchecked, and an outage starting then alert that late.
        return next_slot(monitor_key, interval_seconds, checked_at)
    return regular
