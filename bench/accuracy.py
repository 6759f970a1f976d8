"""Alert accuracy over simulated time: false alerts from blips, and how fast real outages alert.

Runs the real rules — ``domain.status.evaluate`` for one region, ``domain.quorum`` (each region's own
confirmation, then the quorum) for several, and ``domain.schedule.next_check_at`` for when each
region checks next (regular slot, or the retry spacing while it confirms a failure) — over a
simulated day, with no database and no sleeping. Every monitor's checks fail at random with
probability ``--blip`` independently per region and check, and every monitor has one hard outage
(all regions fail) at a random moment lasting ``--outage-min``..``--outage-max`` seconds.

Reported per configuration: false down alerts per monitor-day (a down alert whose failure streak
does not touch the outage) and detection latency p50/p99/max (outage start → down alert), against
the goals of issue 13: ≤ 0.001 false alerts per monitor-day with three regions at 5 % blips, and
p99 latency ≤ interval + 2 × retry interval.

    .venv/bin/python bench/accuracy.py                 # 1,000 monitors × 24 h, 1 and 3 regions
    .venv/bin/python bench/accuracy.py --monitors 100 --json out.json
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from statusping.domain.quorum import RegionState, judge, observe
from statusping.domain.regions import freshness
from statusping.domain.schedule import next_check_at, next_slot
from statusping.domain.status import MonitorState, Status, TransitionKind, evaluate

T0 = datetime(2026, 11, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Settings:
    monitors: int
    hours: float
    interval: int
    retry: int
    threshold: int
    timeout: float
    blip: float
    outage_min: float
    outage_max: float
    lag_ms: float
    seed: int


@dataclass
class Figures:
    regions: int
    quorum: int
    checks: int
    false_alerts: int
    false_per_monitor_day: float
    outages: int
    detected: int
    already_down: int  # outages that began while a false alert had the monitor down already
    latency_p50_s: float | None
    latency_p99_s: float | None
    latency_max_s: float | None
    latency_goal_s: float
    seconds: float


def simulate_monitor(s: Settings, regions: int, index: int) -> tuple[int, int, float | None, bool]:
    """One monitor's day: (checks, false alerts, detection latency of its outage or None, whether the
    monitor was already down from a false alert when its outage began: nothing new to alert then)."""
    rng = random.Random(s.seed * 1_000_003 + index)
    key = str(uuid.UUID(int=rng.getrandbits(128)))
    end = T0 + timedelta(hours=s.hours)
    outage_len = rng.uniform(s.outage_min, s.outage_max)
    outage_start = T0 + timedelta(seconds=rng.uniform(0, s.hours * 3600 - outage_len))
    outage_end = outage_start + timedelta(seconds=outage_len)
    window = freshness(s.interval, s.timeout)
    names = [f"r{n}" for n in range(regions)]
    first = next_slot(key, s.interval, T0)
    due = dict.fromkeys(names, first)
    states = {name: RegionState(name) for name in names}
    single = MonitorState()
    monitor = MonitorState()
    checks = false_alerts = 0
    latency: float | None = None
    already_down: bool | None = None
    while True:
        name = min(due, key=due.__getitem__)
        at = due[name] + timedelta(milliseconds=rng.uniform(0, s.lag_ms))
        if at >= end:
            break
        if already_down is None and at >= outage_start:
            already_down = (single if regions == 1 else monitor).status is Status.DOWN
        failed = outage_start <= at < outage_end or rng.random() < s.blip
        retried = (single if regions == 1 else states[name].as_monitor_state()).confirming
        error = "connection refused" if failed else None
        checks += 1
        if regions == 1:
            single, transition = evaluate(
                single, ok=not failed, checked_at=at, failure_threshold=s.threshold, error=error
            )
            schedule_state = single
        else:
            region = observe(
                states[name], ok=not failed, checked_at=at, failure_threshold=s.threshold, error=error
            )
            states[name] = region
            monitor, transition = judge(
                monitor, list(states.values()), quorum=None, now=at, window=window, ok=not failed, error=error
            )
            schedule_state = region.as_monitor_state()
        if transition is not None and transition.kind is TransitionKind.DOWN:
            true_alert = transition.started_at < outage_end and at >= outage_start
            if true_alert and latency is None:
                latency = (at - outage_start).total_seconds()
            elif not true_alert:
                false_alerts += 1
        due[name] = next_check_at(
            key,
            schedule_state,
            interval_seconds=s.interval,
            retry_interval_seconds=s.retry,
            checked_at=at,
            after_retry=retried,
        )
    return checks, false_alerts, latency, bool(already_down)


def run(s: Settings, regions: int) -> Figures:
    started = time.perf_counter()
    checks = false_alerts = 0
    latencies: list[float] = []
    already_down = 0
    for index in range(s.monitors):
        done, wrong, latency, was_down = simulate_monitor(s, regions, index)
        checks += done
        false_alerts += wrong
        already_down += was_down
        if latency is not None:
            latencies.append(latency)
    latencies.sort()

    def quantile(q: float) -> float | None:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2) if latencies else None

    days = s.monitors * s.hours / 24
    return Figures(
        regions=regions,
        quorum=regions // 2 + 1,
        checks=checks,
        false_alerts=false_alerts,
        false_per_monitor_day=round(false_alerts / days, 5),
        outages=s.monitors,
        detected=len(latencies),
        already_down=already_down,
        latency_p50_s=round(statistics.median(latencies), 2) if latencies else None,
        latency_p99_s=quantile(0.99),
        latency_max_s=round(latencies[-1], 2) if latencies else None,
        latency_goal_s=s.interval + 2 * s.retry,
        seconds=round(time.perf_counter() - started, 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--interval", type=int, default=30)
    parser.add_argument("--retry", type=int, default=20, help="retry interval (the product's default)")
    parser.add_argument("--threshold", type=int, default=3, help="failure threshold (the default)")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--blip", type=float, default=0.05, help="chance a check fails by itself")
    parser.add_argument("--outage-min", type=float, default=180.0)
    parser.add_argument("--outage-max", type=float, default=1800.0)
    parser.add_argument("--lag-ms", type=float, default=50.0, help="each check starts 0..this late")
    parser.add_argument("--regions", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args()
    settings = Settings(
        monitors=args.monitors, hours=args.hours, interval=args.interval, retry=args.retry,
        threshold=args.threshold, timeout=args.timeout, blip=args.blip, outage_min=args.outage_min,
        outage_max=args.outage_max, lag_ms=args.lag_ms, seed=args.seed,
    )  # fmt: skip
    machine = platform.processor() or platform.machine()
    print(f"{machine}, Python {sys.version.split()[0]}, {datetime.now(UTC):%Y-%m-%d}")
    print(json.dumps(asdict(settings)))
    header = (
        "regions quorum   checks  false  false/monitor-day  detected  already down"
        "  p50 s  p99 s  max s  goal s  run s"
    )
    print(header)
    results = []
    for regions in args.regions:
        f = run(settings, regions)
        results.append(f)
        print(
            f"{f.regions:7d} {f.quorum:6d} {f.checks:8d} {f.false_alerts:6d} {f.false_per_monitor_day:18.5f} "
            f"{f.detected:4d}/{f.outages:<4d} {f.already_down:12d} "
            f"{f.latency_p50_s!s:>6} {f.latency_p99_s!s:>6} "
            f"{f.latency_max_s!s:>6} {f.latency_goal_s:7.0f} {f.seconds:6.1f}"
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"settings": asdict(settings), "results": [asdict(r) for r in results]}, out, indent=2)


if __name__ == "__main__":
    main()
