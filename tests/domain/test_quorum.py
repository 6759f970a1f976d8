"""Multi-region confirmation (no database, time is a parameter)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from statusping.domain.quorum import RegionState, describe_failure, judge, needed, observe
from statusping.domain.regions import checking_regions, freshness, multi_region, valid_name
from statusping.domain.status import MonitorState, RegionSeen, Status, Transition, TransitionKind

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
WINDOW = freshness(30, 10)


class Monitor:
    """A monitor checked from several regions: feeds checks the way the recorder does."""

    def __init__(self, *names: str, quorum: int | None = None) -> None:
        self.regions = {name: RegionState(name) for name in names}
        self.state = MonitorState()
        self.quorum = quorum
        self.transitions: list[Transition] = []

    def check(self, region: str, ok: bool, at: datetime, error: str = "connection refused") -> None:
        self.regions[region] = observe(
            self.regions[region], ok=ok, checked_at=at, failure_threshold=3, error=None if ok else error
        )
        self.state, transition = judge(
            self.state,
            list(self.regions.values()),
            quorum=self.quorum,
            now=at,
            window=WINDOW,
            ok=ok,
            error=None if ok else error,
        )
        if transition is not None:
            self.transitions.append(transition)

    def round(self, at: datetime, **oks: bool) -> None:
        for name in sorted(self.regions):
            self.check(name, oks.get(name, True), at)


def test_one_broken_region_of_three_confirms_its_failure_but_never_alerts() -> None:
    monitor = Monitor("eu", "us", "asia")
    for i in range(20):
        monitor.round(T0 + timedelta(seconds=20 * i), eu=False)
    assert monitor.regions["eu"].status is Status.DOWN
    assert monitor.state.status is Status.UP
    assert monitor.transitions == []
    assert monitor.state.consecutive_failures == 20  # the page can still say a region is failing


def test_an_outage_seen_by_a_majority_alerts_once_naming_the_regions() -> None:
    monitor = Monitor("eu", "us", "asia")
    monitor.round(T0)
    for i in range(1, 8):
        monitor.round(T0 + timedelta(seconds=20 * i), eu=False, us=False)
    downs = [t for t in monitor.transitions if t.kind is TransitionKind.DOWN]
    assert len(downs) == 1
    down = downs[0]
    assert down.at == T0 + timedelta(seconds=60)  # the third failure of the second region
    assert down.started_at == T0 + timedelta(seconds=20)
    assert down.cause == "connection refused (seen from eu, us)"
    assert down.regions == (
        RegionSeen("asia", ok=True),
        RegionSeen("eu", ok=False, error="connection refused"),
        RegionSeen("us", ok=False, error="connection refused"),
    )
    assert monitor.state.status is Status.DOWN


def test_recovery_needs_a_majority_of_successes() -> None:
    monitor = Monitor("eu", "us", "asia")
    for i in range(4):
        monitor.round(T0 + timedelta(seconds=20 * i), eu=False, us=False, asia=False)
    assert monitor.state.status is Status.DOWN
    at = T0 + timedelta(seconds=100)
    monitor.check("asia", True, at)
    assert monitor.state.status is Status.DOWN  # one of three is no majority
    monitor.check("eu", True, at)
    assert monitor.state.status is Status.UP
    up = monitor.transitions[-1]
    assert up.kind is TransitionKind.UP
    assert up.started_at == T0
    assert {r.region for r in up.regions if r.ok} == {"asia", "eu"}


def test_a_silent_region_is_excluded_and_neither_raises_nor_holds_an_outage() -> None:
    monitor = Monitor("eu", "us", "asia")
    monitor.round(T0)
    # us stops reporting; eu fails for good: one of the two fresh regions is no majority of two.
    for i in range(1, 12):
        at = T0 + timedelta(seconds=30 * i)
        monitor.check("eu", False, at)
        monitor.check("asia", True, at)
    assert monitor.state.status is Status.UP
    assert monitor.transitions == []


def test_distinct_errors_are_named_per_region_and_quorum_can_require_all() -> None:
    monitor = Monitor("eu", "us", quorum=2)
    monitor.round(T0 - timedelta(seconds=20))
    for i in range(3):
        at = T0 + timedelta(seconds=20 * i)
        monitor.check("eu", False, at, error="timed out")
    assert monitor.state.status is not Status.DOWN
    for i in range(3):
        monitor.check("us", False, T0 + timedelta(seconds=20 * i + 5), error="TLS handshake failed")
    assert monitor.state.status is Status.DOWN
    assert describe_failure(list(monitor.regions.values())) == "eu: timed out; us: TLS handshake failed"


def test_quorum_rules() -> None:
    assert [needed(None, n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]
    assert needed(5, 3) == 3  # never more than the live regions: a lost region cannot block alerts
    assert needed(1, 3) == 1
    assert checking_regions([], ["us", "eu"]) == ("eu", "us")
    assert checking_regions(["eu", "mars"], ["us", "eu"]) == ("eu",)
    assert checking_regions(["mars"], ["us", "eu"]) == ("eu", "us")  # never checked by nobody
    assert not multi_region(["default"])
    assert multi_region(["eu", "us"])
    assert [valid_name(n) for n in ("eu-west-1", "EU West", "")] == [True, False, False]
