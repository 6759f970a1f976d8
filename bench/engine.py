"""Engine benchmark: N http monitors against a fast local target, measured against a bare-streams floor.

One command (``make bench-engine``, or ``python bench/engine.py --help``). In one run it:

1. starts a tiny asyncio HTTP target in its own process (the other core does the serving);
2. creates a fresh database (SQLite in a temp dir, or ``--postgres`` for a throwaway PostgreSQL
   database), migrates it and seeds N http monitors on their steady-state slots;
3. measures the floor: a bare asyncio-streams GET loop at the same rate and tick, in its own process,
   and the engine's HTTP runner alone (HttpClient + run_check, no database);
4. runs the real ``Engine`` in its own process for a warm-up of one interval and then ``--duration``
   seconds, and reports checks/s done vs due, due→start lag, CPU ms per check, RSS and stored bytes per
   check for that window, with CPU as a ratio to the floor.

``--serve-nginx`` measures the product process instead: ``statusping serve`` (web and its engine
child, CPU from /proc) checking a local nginx, against the floor to the same nginx
(``bench/_engine_serve.py``; issue 12's goal is under 0.5 ms CPU per check).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import multiprocessing
import shutil
import subprocess
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from _engine_db import (
    BenchDatabase,
    create_database,
    drop_database,
    overdue_monitors,
    postgres_cpu_seconds,
    result_counts,
    seed,
    sqlite_files_after_checkpoint,
    stored_bytes,
    thread_cpu_seconds,
)
from _engine_profile import summarize_collapsed
from _engine_target import LoadResult, paced_load, rss_mb, serve

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
CTX = multiprocessing.get_context("spawn")


# The engine process ---------------------------------------------------------------------------


@dataclass
class EngineResult:
    seconds: float
    checks: int
    recorded: int
    stored: int
    failed: int
    cpu_ms_per_check: float
    lag_p50_ms: float
    lag_p99_ms: float
    lag_max_ms: float
    rss_mb: float
    peak_rss_mb: float
    stored_bytes_per_check: float
    database_bytes_per_check: float
    main_thread_cpu_ms_per_check: float
    other_threads_cpu_ms_per_check: float
    overdue_1s_at_end: int
    overdue_5s_at_end: int


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _run_engine(conn: Connection, db: BenchDatabase, args: dict[str, Any]) -> EngineResult:
    from statusping.engine.worker import Engine, EngineOptions
    from statusping.outbound.http import HttpClient, TargetPolicy
    from statusping.storage.db import create_engine, create_sessionmaker

    db_engine = create_engine(db.url)
    client = HttpClient(TargetPolicy(allow_private=True))
    await client.start()
    options = EngineOptions(
        singleton=db.kind == "sqlite", concurrency=args["concurrency"], batch_size=args["batch_size"]
    )
    if args.get("flush_interval") is not None:
        options.flush_interval = args["flush_interval"]
    engine = Engine(create_sessionmaker(db_engine), client, options)
    running = asyncio.create_task(engine.run(), name="engine")
    await asyncio.sleep(args["warmup"])

    # The window: everything below is measured from here to its end.
    engine.stats.lags_ms = deque(maxlen=10_000_000)
    bytes0, count0 = await stored_bytes(db_engine, db.kind), await result_counts(db_engine)
    checks0, recorded0 = engine.stats.checks, engine.stats.recorded
    conn.send(("window", time.monotonic()))
    profile = cProfile.Profile() if args.get("cprofile") else None
    cpu0, t0, threads0 = time.process_time(), time.monotonic(), thread_cpu_seconds()
    if profile is not None:
        profile.enable()
    await asyncio.sleep(args["duration"])
    if profile is not None:
        profile.disable()
        profile.dump_stats(args["cprofile"])
    cpu1, t1, threads1 = time.process_time(), time.monotonic(), thread_cpu_seconds()
    checks, recorded = engine.stats.checks - checks0, engine.stats.recorded - recorded0
    lags = list(engine.stats.lags_ms)
    conn.send(("window-end", time.monotonic()))
    rss, peak = rss_mb("VmRSS"), rss_mb("VmHWM")
    now = datetime.now(UTC)
    overdue_1s = await overdue_monitors(db_engine, now=now, seconds=1)
    overdue_5s = await overdue_monitors(db_engine, now=now, seconds=5)
    bytes1, count1 = await stored_bytes(db_engine, db.kind), await result_counts(db_engine)
    failed = count1[1] - count0[1]

    engine.stop()
    await running
    await client.close()
    await db_engine.dispose()
    stored = count1[0] - count0[0]
    return EngineResult(
        seconds=round(t1 - t0, 2),
        checks=checks,
        recorded=recorded,
        stored=stored,
        failed=failed,
        cpu_ms_per_check=(cpu1 - cpu0) * 1000 / max(recorded, 1),
        lag_p50_ms=percentile(lags, 0.50),
        lag_p99_ms=percentile(lags, 0.99),
        lag_max_ms=max(lags, default=float("nan")),
        rss_mb=rss,
        peak_rss_mb=peak,
        stored_bytes_per_check=(bytes1[0] - bytes0[0]) / max(stored, 1),
        database_bytes_per_check=(bytes1[1] - bytes0[1]) / max(stored, 1),
        main_thread_cpu_ms_per_check=(threads1[0] - threads0[0]) * 1000 / max(recorded, 1),
        other_threads_cpu_ms_per_check=(threads1[1] - threads0[1]) * 1000 / max(recorded, 1),
        overdue_1s_at_end=overdue_1s,
        overdue_5s_at_end=overdue_5s,
    )


def engine_process(conn: Connection, db: BenchDatabase, args: dict[str, Any]) -> None:
    """Process entry point: run the engine, send ("window", t), ("window-end", t), ("result", dict)."""
    logging.basicConfig(level=logging.WARNING, format="engine: %(levelname)s %(name)s: %(message)s")
    conn.send(("pid", multiprocessing.current_process().pid))
    conn.send(("result", asdict(asyncio.run(_run_engine(conn, db, args)))))


# Orchestration --------------------------------------------------------------------------------


@dataclass
class Report:
    date: str
    monitors: int
    interval: int
    database: str
    warmup: float
    due_per_second: float
    seed_seconds: float
    engine: dict[str, Any]
    floor: dict[str, Any]
    aiohttp: dict[str, Any] | None
    database_server_cpu_ms_per_check: float | None = None
    sqlite_files: dict[str, int] | None = None
    ratios: dict[str, float] = field(default_factory=dict)
    goals: dict[str, bool] = field(default_factory=dict)


def start_target() -> tuple[multiprocessing.process.BaseProcess, int]:
    parent, child = CTX.Pipe()
    process = CTX.Process(target=serve, args=(child,), name="bench-target", daemon=True)
    process.start()
    if not parent.poll(30):
        raise RuntimeError("the target did not start")
    return process, int(parent.recv())


def run_load(kind: str, port: int, rate: float, seconds: float, tick: float) -> LoadResult:
    parent, child = CTX.Pipe()
    process = CTX.Process(target=paced_load, args=(child, kind, "127.0.0.1", port, rate, seconds, tick))
    process.start()
    result = LoadResult(**parent.recv())
    process.join()
    return result


def py_spy_command(pid: int, seconds: float, output: Path) -> list[str] | None:
    candidates = [Path(sys.executable).with_name("py-spy"), shutil.which("py-spy")]
    binary = next((str(c) for c in candidates if c and Path(c).exists()), None)
    if binary is None:
        return None
    return [
        *(binary, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "100"),
        *("--nonblocking", "--gil", "--format", "raw", "--output", str(output)),
    ]


def run_engine(db: BenchDatabase, args: argparse.Namespace) -> tuple[dict[str, Any], float | None]:
    parent, child = CTX.Pipe()
    options = {
        "warmup": args.warmup if args.warmup is not None else args.interval,
        "duration": args.duration,
        "concurrency": args.concurrency,
        "batch_size": args.batch_size,
        "cprofile": str(args.cprofile) if args.cprofile else None,
        "flush_interval": args.flush_interval,
    }
    process = CTX.Process(target=engine_process, args=(child, db, options), name="bench-engine")
    process.start()
    spy: subprocess.Popen[bytes] | None = None
    pg_cpu: list[float] = []
    pid = 0
    while True:
        kind, value = parent.recv()
        if kind == "pid":
            print(f"engine process pid {value}; warming up for {options['warmup']} s", flush=True)
            pid = int(value)
        elif kind == "window":
            print(f"measuring for {args.duration} s", flush=True)
            pg_cpu.append(postgres_cpu_seconds())
            if args.py_spy and (command := py_spy_command(pid, args.duration, args.py_spy)):
                spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif kind == "window-end":
            pg_cpu.append(postgres_cpu_seconds())
        else:
            process.join()
            if spy is not None:
                spy.wait(timeout=60)
            result: dict[str, Any] = value
            server_cpu = None
            if db.kind == "postgresql" and len(pg_cpu) == 2:
                server_cpu = (pg_cpu[1] - pg_cpu[0]) * 1000 / max(result["recorded"], 1)
            return result, server_cpu


async def prepare(args: argparse.Namespace, port: int) -> tuple[BenchDatabase, float]:
    db = await create_database(args.postgres)
    started = time.monotonic()
    await seed(db, monitors=args.monitors, interval=args.interval, target_url=f"http://127.0.0.1:{port}/")
    return db, time.monotonic() - started


def benchmark(args: argparse.Namespace) -> Report:
    rate = args.monitors / args.interval
    target, port = start_target()
    db: BenchDatabase | None = None
    try:
        db, seed_seconds = asyncio.run(prepare(args, port))
        print(f"seeded {args.monitors} monitors in {seed_seconds:.1f} s ({db.kind})", flush=True)
        floor = run_load("floor", port, rate, args.baseline_seconds, args.tick)
        print(f"floor: {floor.cpu_ms_per_request:.3f} ms CPU per request", flush=True)
        aiohttp = None
        if not args.no_aiohttp:
            aiohttp = run_load("aiohttp", port, rate, args.baseline_seconds, args.tick)
            print(f"runner-only: {aiohttp.cpu_ms_per_request:.3f} ms CPU per request", flush=True)
        engine, server_cpu = run_engine(db, args)
        files = None
        if db.sqlite_file is not None:
            files = sqlite_files_after_checkpoint(db.sqlite_file)
    finally:
        target.terminate()
        target.join()
        if db is not None and not args.keep:
            asyncio.run(drop_database(db))
    return build_report(args, rate, seed_seconds, db, engine, floor, aiohttp, server_cpu, files)


def build_report(
    args: argparse.Namespace,
    rate: float,
    seed_seconds: float,
    db: BenchDatabase,
    engine: dict[str, Any],
    floor: LoadResult,
    aiohttp: LoadResult | None,
    server_cpu: float | None,
    files: dict[str, int] | None,
) -> Report:
    report = Report(
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        monitors=args.monitors,
        interval=args.interval,
        database=db.kind,
        warmup=args.warmup if args.warmup is not None else args.interval,
        due_per_second=rate,
        seed_seconds=round(seed_seconds, 2),
        engine=engine,
        floor=asdict(floor),
        aiohttp=asdict(aiohttp) if aiohttp else None,
        database_server_cpu_ms_per_check=server_cpu,
        sqlite_files=files,
    )
    done = engine["recorded"] / engine["seconds"]
    report.ratios["engine_cpu_vs_floor"] = engine["cpu_ms_per_check"] / floor.cpu_ms_per_request
    report.ratios["done_vs_due"] = done / rate
    if aiohttp is not None:
        report.ratios["aiohttp_cpu_vs_floor"] = aiohttp.cpu_ms_per_request / floor.cpu_ms_per_request
        report.ratios["http_share_of_engine_cpu"] = aiohttp.cpu_ms_per_request / engine["cpu_ms_per_check"]
    report.goals = {
        "lag_p99_under_1s": engine["lag_p99_ms"] < 1000,
        "cpu_at_most_3x_floor": report.ratios["engine_cpu_vs_floor"] <= 3.0,
        "keeps_up_with_due": report.ratios["done_vs_due"] >= 0.99 and engine["overdue_5s_at_end"] == 0,
    }
    return report


# Output ---------------------------------------------------------------------------------------


def render(report: Report) -> str:
    e, f, a = report.engine, report.floor, report.aiohttp
    floor_cpu = f["cpu_ms_per_request"]
    na = "—"

    def row(label: str, engine: str, http: str, floor: str) -> str:
        return f"{label:<34}{engine:>14}{http:>16}{floor:>16}"

    def cpu(value: float) -> str:
        return f"{value:.3f}"

    lines = [
        f"StatusPing engine benchmark — {report.monitors:,} http monitors every {report.interval} s "
        f"on {report.database}; window {e['seconds']:.0f} s after a {report.warmup:.0f} s warm-up",
        "",
        row("", "engine", "runner-only", "floor"),
        row(
            f"checks/s done (due {report.due_per_second:.1f})",
            f"{e['recorded'] / e['seconds']:.1f}",
            f"{a['requests'] / a['seconds']:.1f}" if a else na,
            f"{f['requests'] / f['seconds']:.1f}",
        ),
        row(
            "CPU ms per check",
            cpu(e["cpu_ms_per_check"]),
            cpu(a["cpu_ms_per_request"]) if a else na,
            cpu(floor_cpu),
        ),
        row(
            "  × floor",
            f"{e['cpu_ms_per_check'] / floor_cpu:.2f}×",
            f"{a['cpu_ms_per_request'] / floor_cpu:.2f}×" if a else na,
            "1.00×",
        ),
        row(
            "  main thread / other threads",
            f"{e['main_thread_cpu_ms_per_check']:.3f} / {e['other_threads_cpu_ms_per_check']:.3f}",
            na,
            na,
        ),
        row(
            "RSS MB (peak)",
            f"{e['rss_mb']:.0f} ({e['peak_rss_mb']:.0f})",
            f"{a['rss_mb']:.0f}" if a else na,
            f"{f['rss_mb']:.0f}",
        ),
        row("due→start lag p50 / p99 ms", f"{e['lag_p50_ms']:.0f} / {e['lag_p99_ms']:.0f}", na, na),
        row("due→start lag max ms", f"{e['lag_max_ms']:.0f}", na, na),
        row("stored bytes per check (results tables)", f"{e['stored_bytes_per_check']:.0f}", na, na),
        row("  whole database growth per check", f"{e['database_bytes_per_check']:.0f}", na, na),
        row("failed checks", str(e["failed"]), str(a["failures"]) if a else na, str(f["failures"])),
        row("overdue at end (>1 s / >5 s)", f"{e['overdue_1s_at_end']} / {e['overdue_5s_at_end']}", na, na),
    ]
    if report.database_server_cpu_ms_per_check is not None:
        lines.append(
            row("PostgreSQL server CPU ms per check", cpu(report.database_server_cpu_ms_per_check), na, na)
        )
    if a:
        share = report.ratios["http_share_of_engine_cpu"]
        lines += [
            "",
            f"Where the engine's CPU goes: HTTP runner ≈ {share:.0%} "
            f"({a['cpu_ms_per_request']:.3f} ms), scheduling + recording ≈ {1 - share:.0%} "
            f"({e['cpu_ms_per_check'] - a['cpu_ms_per_request']:.3f} ms) per check",
        ]
    if report.sqlite_files:
        lines.append(f"SQLite files after checkpoint: {report.sqlite_files}")
    verdict = ", ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in report.goals.items())
    lines += ["", f"Goal (lag p99 < 1 s, CPU ≤ 3× floor, keeps up): {verdict}"]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--monitors", type=int, default=10_000, help="number of http monitors")
    parser.add_argument("--interval", type=int, default=30, help="check interval in seconds")
    parser.add_argument("--duration", type=float, default=180, help="measured seconds after warm-up")
    parser.add_argument("--warmup", type=float, default=None, help="warm-up seconds (default: one interval)")
    parser.add_argument("--baseline-seconds", type=float, default=30, help="length of each baseline load")
    parser.add_argument("--tick", type=float, default=0.2, help="baseline pacing tick (engine poll interval)")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_POSTGRES,
        default=None,
        metavar="ADMIN_URL",
        help=f"use a throwaway PostgreSQL database created on this server (default {DEFAULT_POSTGRES})",
    )
    parser.add_argument("--concurrency", type=int, default=500, help="EngineOptions.concurrency")
    parser.add_argument("--batch-size", type=int, default=200, help="EngineOptions.batch_size")
    parser.add_argument(
        "--flush-interval",
        type=float,
        default=None,
        help="EngineOptions.flush_interval",
    )
    parser.add_argument(
        "--serve-nginx",
        action="store_true",
        help="measure `statusping serve` (web + engine process) checking a local nginx instead",
    )
    parser.add_argument(
        "--no-aiohttp",
        action="store_true",
        help="skip the runner-only baseline (its JSON key is still 'aiohttp')",
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        default=None,
        metavar="PATH",
        help="profile the engine window with py-spy --gil (collapsed stacks to PATH)",
    )
    parser.add_argument(
        "--cprofile",
        type=Path,
        default=None,
        metavar="PATH",
        help="cProfile the engine's event-loop thread over the window (pstats file; slows it down)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the numbers as JSON")
    return parser.parse_args(argv)


def serve_nginx(args: argparse.Namespace) -> dict[str, Any]:
    """The product process against nginx (bench/_engine_serve.py), then the floor against the same nginx."""
    from _engine_serve import GOAL_MS, measure_serve, stop_nginx

    rate = args.monitors / args.interval
    warmup = args.warmup if args.warmup is not None else args.interval
    try:
        result, port, kind = measure_serve(
            postgres=args.postgres,
            monitors=args.monitors,
            interval=args.interval,
            warmup=warmup,
            duration=args.duration,
            keep=args.keep,
        )
        floor = run_load("floor", port, rate, args.baseline_seconds, args.tick)
    finally:
        stop_nginx()
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "serve-nginx",
        "database": kind,
        "monitors": args.monitors,
        "interval": args.interval,
        "due_per_second": rate,
        "serve": asdict(result),
        "floor": asdict(floor),
        "ratio_vs_floor": result.serve_cpu_ms_per_check / floor.cpu_ms_per_request,
        "goal_under_ms": GOAL_MS,
        "goal_met": result.serve_cpu_ms_per_check < GOAL_MS,
    }
    s, f = result, floor
    print()
    print(
        f"statusping serve against nginx — {args.monitors:,} http monitors every {args.interval} s "
        f"on {kind}; window {s.seconds:.0f} s after a {warmup:.0f} s warm-up"
    )
    print(f"  checks/s recorded (due {rate:.1f})        {s.recorded / s.seconds:10.1f}")
    print(f"  CPU ms per check, serve + engine child   {s.serve_cpu_ms_per_check:10.3f}")
    print(f"    of which the engine process           {s.engine_child_cpu_ms_per_check:10.3f}")
    print(f"    of which the web process              {s.web_cpu_ms_per_check:10.3f}")
    if s.database_server_cpu_ms_per_check is not None:
        print(f"  PostgreSQL server CPU ms per check       {s.database_server_cpu_ms_per_check:10.3f}")
    print(f"  floor (bare asyncio GET to nginx) ms     {f.cpu_ms_per_request:10.3f}")
    print(f"  serve ÷ floor                            {report['ratio_vs_floor']:9.2f}×")
    print(f"  RSS MB web / engine                      {s.serve_rss_mb:5.0f} / {s.engine_rss_mb:.0f}")
    lag = "—" if s.lag_p99_ms is None else f"{s.lag_p99_ms:.0f}"
    print(f"  engine lag p99 ms (/api/health)          {lag:>10}")
    print(f"\nGoal (under {GOAL_MS} ms CPU per check): {'yes' if report['goal_met'] else 'NO'}")
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_nginx:
        numbers = serve_nginx(args)
        if args.json:
            args.json.write_text(json.dumps(numbers, indent=2) + "\n")
            print(f"\nwrote {args.json}")
        return 0
    report = benchmark(args)
    print()
    print(render(report))
    if args.py_spy and args.py_spy.exists():
        print()
        print(summarize_collapsed(args.py_spy))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
