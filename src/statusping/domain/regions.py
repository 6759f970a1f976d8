"""Regions: where checks come from, which regions are alive and which of them check a monitor.

Every worker declares a region (``statusping worker --region NAME``; ``default`` when none is
given) and reports in every few seconds. A region is *live* while at least one of its workers has
reported within ``LIVE_WINDOW``; a region that stops reporting drops out of every monitor's quorum
(its silence is the operator's problem, never the customer's outage) and is shown as a warning.

With one live region (every installation that never names a second) monitors are checked exactly
as before, one check per due time. With two or more, each monitor is checked by each region it
lists — or by every live region when it lists none — on that region's own schedule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from statusping.domain.errors import InvalidInput

# A worker reports every HEARTBEAT; its region counts as live while a report is younger than this.
HEARTBEAT = timedelta(seconds=5)
LIVE_WINDOW = timedelta(seconds=30)
# A live region's last result older than this (beyond its interval and timeout) no longer counts
# towards a monitor's quorum: it has stopped checking that monitor, whatever its workers say.
FRESH_MARGIN = timedelta(seconds=5)
MAX_REGIONS = 10
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")


@dataclass(frozen=True, slots=True)
class RegionHealth:
    """One region as operators see it (``/api/health``, ``/metrics``, ``statusping`` logs)."""

    name: str
    last_seen_at: datetime
    workers_alive: int

    @property
    def live(self) -> bool:
        return self.workers_alive > 0


def valid_name(name: str) -> bool:
    """Lower-case letters, digits, ``-``, ``_`` and ``.``; at most 32 characters (``eu-west-1``)."""
    return bool(NAME.match(name))


def is_live(last_seen_at: datetime | None, now: datetime, window: timedelta = LIVE_WINDOW) -> bool:
    return last_seen_at is not None and now - last_seen_at <= window


def checking_regions(listed: Sequence[str], live: Sequence[str]) -> tuple[str, ...]:
    """The live regions that check a monitor listing ``listed`` (empty list: every live region).

    A monitor whose listed regions are all dead is checked by every live region rather than by
    nobody: an unchecked monitor would silently stop alerting.
    """
    chosen = [name for name in live if name in listed] if listed else list(live)
    return tuple(sorted(chosen or live))


def multi_region(live: Sequence[str]) -> bool:
    """Whether checks are scheduled per region: only once a second region is alive."""
    return len(set(live)) > 1


def freshness(interval_seconds: int, timeout_seconds: float) -> timedelta:
    """How old a region's last result of a monitor may be and still count towards its quorum.

    Two intervals and a timeout: one check may be late or lost without dropping the region.
    """
    return timedelta(seconds=2 * interval_seconds + timeout_seconds) + FRESH_MARGIN


def silent(regions: Sequence[RegionHealth]) -> list[RegionHealth]:
    """Regions that have reported before but have no live worker now: worth an operator warning."""
    return [region for region in regions if not region.live]


def check_regions(names: Sequence[str] | None) -> list[str]:
    """A monitor's ``regions``: valid names, each once, at most ``MAX_REGIONS``; [] = every live one.

    Names are not checked against the live regions: a region may be added before its workers start,
    and a dead region is simply skipped (``checking_regions``).
    """
    chosen: list[str] = []
    for raw in names or []:
        name = str(raw).strip().lower()
        if not valid_name(name):
            raise InvalidInput(
                f"region {raw!r} is not a region name (lower-case letters, digits, '-', '_' or '.')",
                field="regions",
            )
        if name not in chosen:
            chosen.append(name)
    if len(chosen) > MAX_REGIONS:
        raise InvalidInput(f"a monitor may list at most {MAX_REGIONS} regions", field="regions")
    return chosen


def check_quorum(quorum: object, regions: Sequence[str]) -> int | None:
    """How many regions must confirm a failure: a whole number from 1, at most the regions listed
    (when it lists some); null = a majority of the live ones."""
    if quorum is None:
        return None
    limit = len(regions) or MAX_REGIONS
    if not isinstance(quorum, int) or isinstance(quorum, bool) or not 1 <= quorum <= limit:
        listed = f"the {len(regions)} regions listed" if regions else f"{MAX_REGIONS}"
        raise InvalidInput(f"quorum must be a whole number from 1 to {listed}, or null", field="quorum")
    return quorum
