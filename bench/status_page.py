"""Status page benchmark (issue 10): a page of 50 components with 90 days of history, hammered.

One uvicorn process serves the real app as ``statusping serve`` runs it (web + engine +
dispatcher) plus two bare FastAPI endpoints that return the same bytes as the cached page and
summary.json — the floor, through the same app, middleware and server. wrk (64 connections)
measures each in the same run. Meanwhile the embedded engine checks a few hundred monitors
against a local target; the report says what share of the checks that came due were made.
Separately, in this process: the uncached render (page view + template, and summary.json) p50/p95.

    python bench/status_page.py [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._engine_db import BenchDatabase, create_database, drop_database, seed
from bench.engine import start_target
from sqlalchemy import func, insert, select, update

from statusping.config import Settings
from statusping.services import status_pages as service
from statusping.storage.db import create_engine, create_sessionmaker
from statusping.storage.models import (
    CheckResult,
    DailyRollup,
    Incident,
    Monitor,
    Organization,
    StatusPage,
    StatusPageComponent,
)
from statusping.web.public import status_page_json as sp
from statusping.web.templating import create_templates

COMPONENTS = 50
HISTORY_DAYS = 90
CONNECTIONS = 64
GOAL_RATIO = 0.80
GOAL_P95_MS = 50.0
GOAL_SCHEDULE = 0.99


@dataclass
class Report:
    machine: dict[str, str]
    database: str
    monitors: int
    interval: int
    seconds_per_run: int
    requests_per_second: dict[str, float] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    render_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    schedule: dict[str, float] = field(default_factory=dict)
    page_bytes: int = 0
    summary_bytes: int = 0
    goals: dict[str, bool] = field(default_factory=dict)
    engine: str = "in-process"


async def prepare(db: BenchDatabase, monitors: int, interval: int, target_port: int) -> str:
    """Monitors in steady state, 50 of them public on the page with 90 days of history; the slug."""
    await seed(db, monitors=monitors, interval=interval, target_url=f"http://127.0.0.1:{target_port}/")
    engine = create_engine(db.url)
    now = datetime.now(UTC)
    start = now - timedelta(days=HISTORY_DAYS)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            org = await session.scalar(select(Organization))
            assert org is not None
            ids = list(await session.scalars(select(Monitor.id).order_by(Monitor.name).limit(COMPONENTS)))
            await session.execute(update(Monitor).values(status="up", created_at=start - timedelta(days=1)))
            await session.execute(update(Monitor).where(Monitor.id.in_(ids)).values(public=True))
            page = StatusPage(organization_id=org.id, slug=org.slug, title="Benchmark status")
            session.add(page)
            await session.flush()
            session.add_all(
                StatusPageComponent(
                    status_page_id=page.id, monitor_id=mid, display_name=f"Service {n:02d}",
                    group_name=f"Region {n // 10}", position=n,
                )
                for n, mid in enumerate(ids)
            )  # fmt: skip
            day0 = start.replace(hour=0, minute=0, second=0, microsecond=0)
            per_day = 86400 // interval
            rows = [
                {"monitor_id": mid, "region": "default", "bucket_start": day0 + timedelta(days=d),
                 "checks": per_day, "response_count": per_day, "response_sum": per_day * 12.5}
                for mid in ids for d in range(HISTORY_DAYS + 1)
            ]  # fmt: skip
            for chunk in range(0, len(rows), 1000):
                await session.execute(insert(DailyRollup), rows[chunk : chunk + 1000])
            # A few resolved outages, so bars and tooltips have something to say.
            for n, mid in enumerate(ids[::3]):
                began = day0 + timedelta(days=(n * 7) % HISTORY_DAYS, hours=n % 24)
                session.add(
                    Incident(organization_id=org.id, monitor_id=mid, started_at=began,
                             confirmed_at=began + timedelta(minutes=2),
                             resolved_at=began + timedelta(minutes=5 + n * 3), cause="bench")
                )  # fmt: skip
            return page.slug
    finally:
        await engine.dispose()


async def measure_render(url: str, slug: str, runs: int) -> dict[str, dict[str, float]]:
    """Uncached: the page view from the database plus its template (and its summary.json), timed."""
    engine = create_engine(url)
    templates = create_templates(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    template = templates.env.get_template("status_page.html")
    kinds = ("page", "summary.json", "view only")
    timings: dict[str, list[float]] = {kind: [] for kind in (*kinds, "template only")}
    try:
        sessionmaker = create_sessionmaker(engine)
        for n in range(runs + 3):
            for kind in kinds:
                started = time.perf_counter()
                async with sessionmaker() as db:
                    found = await service.by_slug(db, slug)
                    assert found is not None
                    view = await service.view(
                        db, found[0], found[1], history_days=365, powered_by=False, now=datetime.now(UTC)
                    )
                viewed = time.perf_counter()
                if kind == "page":
                    template.render(view=view, page_url=f"http://bench/s/{slug}").encode()
                elif kind == "summary.json":
                    json.dumps(sp.summary(view, f"http://bench/s/{slug}"), separators=(",", ":")).encode()
                if n >= 3:  # the first few warm caches up
                    timings[kind].append((time.perf_counter() - started) * 1000)
                    if kind == "page":
                        timings["template only"].append((time.perf_counter() - viewed) * 1000)
    finally:
        await engine.dispose()
    return {k: {"p50": pct(v, 0.5), "p95": pct(v, 0.95), "max": max(v)} for k, v in timings.items()}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def start_server(
    db: BenchDatabase, port: int, data_dir: Path, bare_dir: Path, engine: str
) -> list[subprocess.Popen[bytes]]:
    """The web server (with the engine in-process, as `statusping serve`), or the web server and a
    `statusping worker` beside it (``engine="worker"``, as docs/deploy.md advises for a busy page)."""
    env = {
        **os.environ,
        "STATUSPING_DATABASE_URL": db.url,
        "STATUSPING_DATA_DIR": str(data_dir),
        "STATUSPING_MODE": "selfhosted",
        "STATUSPING_ALLOW_PRIVATE_TARGETS": "true",
        "STATUSPING_MIN_INTERVAL_SECONDS": "1",
        "STATUSPING_BASE_URL": f"http://127.0.0.1:{port}",
        "BENCH_BARE_DIR": str(bare_dir),
        "BENCH_ENGINE": engine,
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    command = [
        sys.executable, "-m", "uvicorn", "bench._status_page_app:make_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    processes = [subprocess.Popen(command, env=env)]
    if engine == "worker":
        processes.append(subprocess.Popen([sys.executable, "-m", "statusping", "worker"], env=env))
    return processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> tuple[bytes, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - our own local server
        return answer.read(), dict(answer.headers)


def wait_up(url: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            fetch(url)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def wrk(url: str, seconds: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error answers\n{out}")
    assert found, out
    return float(found.group(1))


async def checks_between(url: str, start: datetime, end: datetime) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            count = await conn.scalar(
                select(func.count()).select_from(CheckResult)
                .where(CheckResult.checked_at >= start, CheckResult.checked_at < end)
            )  # fmt: skip
            return int(count or 0)
    finally:
        await engine.dispose()


async def settled_checks(url: str, start: datetime, end: datetime, within: float = 30.0) -> int:
    """``checks_between`` once two reads a second apart agree (the recorder has caught up)."""
    deadline = time.monotonic() + within
    last = -1
    while True:
        made = await checks_between(url, start, end)
        if made == last or time.monotonic() > deadline:
            return made
        last = made
        await asyncio.sleep(1.0)


def machine() -> dict[str, str]:
    load = os.getloadavg()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_name(),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "load_before": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
    }


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


async def run(args: argparse.Namespace) -> Report:
    target, target_port = start_target()
    db = await create_database(args.postgres)
    report = Report(machine(), db.kind, args.monitors, args.interval, args.seconds, engine=args.engine)
    servers: list[subprocess.Popen[bytes]] = []
    workdir = Path(tempfile.mkdtemp(prefix="statusping-bench-status-"))
    (workdir / "bare").mkdir(parents=True)
    try:
        slug = await prepare(db, args.monitors, args.interval, target_port)
        report.render_ms = await measure_render(db.url, slug, args.renders)
        port = args.port or free_port()
        servers = start_server(db, port, workdir / "data", workdir / "bare", args.engine)
        base = f"http://127.0.0.1:{port}"
        wait_up(f"{base}/api/health")
        try:
            page, _ = fetch(f"{base}/s/{slug}")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"/s/{slug}: {exc.code} {exc.read()[:300]!r}") from exc
        summary, _ = fetch(f"{base}/s/{slug}/api/v2/summary.json")
        report.page_bytes, report.summary_bytes = len(page), len(summary)
        (workdir / "bare" / "page").write_bytes(page)
        (workdir / "bare" / "summary").write_bytes(summary)
        print(f"page {len(page)} B, summary.json {len(summary)} B; engine warming up", flush=True)
        await asyncio.sleep(args.warmup)
        started = datetime.now(UTC)
        runs = {
            "page (cached)": f"{base}/s/{slug}",
            "page (bare)": f"{base}/bench/bare/page",
            "summary.json (cached)": f"{base}/s/{slug}/api/v2/summary.json",
            "summary.json (bare)": f"{base}/bench/bare/summary",
        }
        # Cached and bare alternate, several rounds, best of each: other load on the machine comes
        # and goes, and must not favour whichever ran at a quiet moment.
        for round_ in range(args.rounds):
            for name, url in runs.items():
                rate = wrk(url, args.seconds)
                report.requests_per_second[name] = max(rate, report.requests_per_second.get(name, 0.0))
                print(f"round {round_ + 1} {name}: {rate:.0f} req/s", flush=True)
        ended = datetime.now(UTC)
        engine = json.loads(fetch(f"{base}/api/health")[0]).get("engine") or {}
        rps = report.requests_per_second
        report.ratios = {
            "page": round(rps["page (cached)"] / rps["page (bare)"], 3),
            "summary.json": round(rps["summary.json (cached)"] / rps["summary.json (bare)"], 3),
        }
        # Checks made in the hammered window, by when they ran; the last batches are written a
        # moment later, so wait until the count settles before reading it.
        made = await settled_checks(db.url, started, ended)
        due = args.monitors * (ended - started).total_seconds() / args.interval
        report.schedule = {"due": round(due), "made": made, "kept": round(min(made / due, 1.0), 4)}
        if engine.get("lag_p99_ms") is not None:  # how late checks started, p99 since the server began
            report.schedule["lag_p99_ms"] = float(engine["lag_p99_ms"])
        report.goals = {
            "cached >= 80% of bare (page)": report.ratios["page"] >= GOAL_RATIO,
            "cached >= 80% of bare (summary.json)": report.ratios["summary.json"] >= GOAL_RATIO,
            "uncached page p95 < 50 ms": report.render_ms["page"]["p95"] < GOAL_P95_MS,
            "schedule kept >= 99%": report.schedule["kept"] >= GOAL_SCHEDULE,
        }
        return report
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        target.terminate()
        shutil.rmtree(workdir, ignore_errors=True)
        await drop_database(db)


def render(report: Report) -> str:
    lines = [
        f"status page benchmark — {report.machine['date']}, {report.machine['cpu']}"
        f" ({report.machine['cores']} cores), Python {report.machine['python']}, {report.database},"
        f" load before {report.machine['load_before']}",
        f"page {report.page_bytes} B, summary.json {report.summary_bytes} B; wrk {CONNECTIONS} connections,"
        f" {report.seconds_per_run} s per run; engine ({report.engine}): {report.monitors} monitors"
        f" every {report.interval} s",
    ]
    lines += [f"  {name:24} {value:8.0f} req/s" for name, value in report.requests_per_second.items()]
    lines += [f"  cached/bare {name:12} {value:.1%}" for name, value in report.ratios.items()]
    lines += [
        f"  uncached {name:15} p50 {v['p50']:.1f} ms, p95 {v['p95']:.1f} ms"
        for name, v in report.render_ms.items()
    ]
    s = report.schedule
    lag = f", check start lag p99 {s['lag_p99_ms']:.0f} ms" if "lag_p99_ms" in s else ""
    lines.append(f"  checks while hammered: {s['made']} of {s['due']} due ({s['kept']:.1%}){lag}")
    lines += [f"  goal {name}: {'met' if ok else 'MISSED'}" for name, ok in report.goals.items()]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="benchmark on PostgreSQL (default: SQLite)")
    parser.add_argument("--monitors", type=int, default=300)
    parser.add_argument("--interval", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of the four runs")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--renders", type=int, default=60)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument(
        "--engine", choices=["in-process", "worker"], default="in-process",
        help="the engine inside the web process (statusping serve) or as statusping worker beside it",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = asyncio.run(run(args))
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2))
    return 0 if all(report.goals.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
