"""Multi-region confirmation: a monitor is down only when a quorum of its regions says so.

Each region runs the ordinary state machine (``domain.status.evaluate``) on its own checks: a
region *confirms* a failure after ``failure_threshold`` consecutive failed checks, exactly as a
single-region monitor would go down. The monitor then goes

- **down** when at least ``quorum`` of its fresh regions have confirmed (default: a majority), and
- **up** again when a majority of its fresh regions' latest checks succeeded.

A region is *fresh* while its last result is younger than ``domain.regions.freshness``: a region
whose worker died simply stops counting, so it can neither raise nor hold an outage. Independent
blips need to coincide in a quorum of regions to alert (≈ p³ per region and check, squared or more
across regions), while an outage seen everywhere is confirmed as fast as with one region, since all
regions check on the same slots and retry on the same spacing.

Degraded is judged on the monitor as a whole: every successful check, from whichever region,
feeds the one latency streak (``domain.status``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from statusping.domain.status import MonitorState, RegionSeen, Status, Transition, TransitionKind, evaluate


@dataclass(frozen=True, slots=True)
class RegionState:
    """One region's own view of one monitor."""

    region: str
    status: Status = Status.PENDING  # PENDING, UP or DOWN (this region has confirmed a failure)
    consecutive_failures: int = 0
    first_failure_at: datetime | None = None
    last_error: str | None = None
    last_checked_at: datetime | None = None
    last_response_ms: float | None = None

    def as_monitor_state(self) -> MonitorState:
        return MonitorState(
            status=self.status,
            consecutive_failures=self.consecutive_failures,
            first_failure_at=self.first_failure_at,
            last_error=self.last_error,
        )

    @property
    def confirmed(self) -> bool:
        return self.status is Status.DOWN

    @property
    def failing(self) -> bool:
        return self.consecutive_failures > 0


def observe(
    region: RegionState,
    *,
    ok: bool,
    checked_at: datetime,
    failure_threshold: int,
    error: str | None = None,
    response_ms: float | None = None,
    maintenance: bool = False,
) -> RegionState:
    """Feed one of this region's checks into its own confirmation."""
    state, _ = evaluate(
        region.as_monitor_state(),
        ok=ok,
        checked_at=checked_at,
        failure_threshold=failure_threshold,
        error=error,
        maintenance=maintenance,
    )
    return RegionState(
        region=region.region,
        status=state.status,
        consecutive_failures=state.consecutive_failures,
        first_failure_at=state.first_failure_at,
        last_error=state.last_error,
        last_checked_at=checked_at,
        last_response_ms=response_ms,
    )


def majority(regions: int) -> int:
    return regions // 2 + 1


def needed(quorum: int | None, regions: int) -> int:
    """Regions that must confirm a failure: the monitor's quorum (default a majority), at most all."""
    if regions <= 0:
        return 1
    return max(1, min(quorum if quorum is not None else majority(regions), regions))


def fresh(regions: Sequence[RegionState], now: datetime, window: timedelta) -> list[RegionState]:
    return [r for r in regions if r.last_checked_at is not None and now - r.last_checked_at <= window]


def seen(regions: Sequence[RegionState]) -> tuple[RegionSeen, ...]:
    return tuple(
        RegionSeen(r.region, ok=not r.failing, error=r.last_error if r.failing else None)
        for r in sorted(regions, key=lambda r: r.region)
    )


def describe_failure(regions: Sequence[RegionState]) -> str:
    """One cause naming the regions: ``connection refused (seen from eu, us)`` or each its own."""
    failing = sorted((r for r in regions if r.failing), key=lambda r: r.region)
    errors = {r.last_error or "check failed" for r in failing}
    names = ", ".join(r.region for r in failing)
    if len(errors) == 1:
        return f"{errors.pop()} (seen from {names})"
    return "; ".join(f"{r.region}: {r.last_error or 'check failed'}" for r in failing)


def judge(
    monitor: MonitorState,
    regions: Sequence[RegionState],
    *,
    quorum: int | None,
    now: datetime,
    window: timedelta,
    ok: bool,
    error: str | None = None,
    slow: bool = False,
    degraded_after: int | None = None,
    maintenance: bool = False,
) -> tuple[MonitorState, Transition | None]:
    """The monitor's state after one region's check (``regions`` already include that check).

    ``ok``/``error``/``slow`` describe the check just recorded; the regions decide the outage.
    """
    live = fresh(regions, now, window)
    count = len(live)
    worst = max((r.consecutive_failures for r in live), default=0)
    starts = [r.first_failure_at for r in live if r.first_failure_at is not None]
    first = min(starts) if starts else None
    if monitor.status is Status.DOWN:
        recovered = [r for r in live if r.status is Status.UP]
        if count and len(recovered) >= majority(count):
            started = monitor.first_failure_at or now
            return MonitorState(status=Status.UP), Transition(
                TransitionKind.UP, now, started, monitor.last_error, seen(live)
            )
        return replace(
            monitor, consecutive_failures=max(worst, 1), last_error=error or monitor.last_error
        ), None
    confirmed = [r for r in live if r.confirmed]
    if not maintenance and count and len(confirmed) >= needed(quorum, count):
        cause = describe_failure(confirmed)
        started = min(r.first_failure_at or now for r in confirmed)
        down = MonitorState(
            status=Status.DOWN, consecutive_failures=worst, first_failure_at=started, last_error=cause
        )
        return down, Transition(TransitionKind.DOWN, now, started, cause, seen(live))
    if ok:
        # Latency and pending → up follow the ordinary rules; the failure streak shown is the
        # worst region's, so the page still says a failure is being confirmed somewhere.
        base = MonitorState(status=monitor.status, latency_streak=monitor.latency_streak)
        state, transition = evaluate(
            base, ok=True, checked_at=now, failure_threshold=1, slow=slow, degraded_after=degraded_after
        )
        if worst:
            state = MonitorState(
                status=state.status,
                consecutive_failures=worst,
                first_failure_at=first,
                last_error=monitor.last_error,
                latency_streak=state.latency_streak,
            )
        return state, transition
    if maintenance:
        return monitor, None
    return MonitorState(
        status=monitor.status,
        consecutive_failures=worst,
        first_failure_at=first,
        last_error=error,
        latency_streak=monitor.latency_streak,
    ), None
