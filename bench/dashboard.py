"""Dashboard benchmark: 10,000 monitors with a day of history; server time of the dashboard and the
monitor page, page weight, and how long a state change takes to reach an open dashboard's stream.

One command (``make bench-dashboard``, or ``python bench/dashboard.py --help``). In one run it:

1. creates a fresh database (SQLite in a temp dir, or ``--postgres`` for a throwaway PostgreSQL
   database), migrates it, and seeds N http monitors at 60 s (``_engine_db.seed``, rows shaped by
   ``services.monitors.create_monitor``) in one organization owned by a signed-up user;
2. gives them a day of history as the recorder leaves it: a steady-state status mix (about 1 %
   down with an open incident, 1 % paused, 0.5 % pending, the rest up), last check and response
   time, 25 hourly rollup rows per monitor (regions added up as the recorder writes them), and for
   ``--series-monitors`` of them a day of raw results (1,440 at 60 s) for the monitor page's chart;
3. times in-process requests (httpx's ASGI transport: the whole app, middleware and session lookup
   included, no sockets) for the dashboard HTML (first page, a search, a status filter, a deep page,
   the uptime sort, the htmx list alone), the monitor page and its series JSON, each beside a bare
   FastAPI endpoint measured in the same run: p50/p95 of ``--samples`` requests after warm-up;
4. weighs the dashboard's HTML (raw and gzip) and the assets it loads;
5. serves the app with uvicorn on a loopback port, opens ``/dashboard/events`` with a real client,
   records ``--changes`` state changes through ``services.recording.record`` (down, then up again)
   and times commit → event received; beside it, a bare FastAPI SSE endpoint fed by an in-memory queue.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import platform
import random
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy import insert, select, update

from _engine_db import INSERT_CHUNK, create_database, drop_database, seed
from statusping.app import create_app
from statusping.config import Settings
from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.domain.rollups import HOUR, floor_to
from statusping.services.recording import Observation, record
from statusping.storage.db import create_engine, create_sessionmaker
from statusping.storage.models import HourlyRollup, Incident, Monitor, MonitorPause, Organization
from statusping.storage.repositories.results import ResultsRepository
from statusping.web.live import Server

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "correct-horse-battery-staple-42"  # noqa: S105 (a throwaway benchmark account)
GOAL_MS = 100.0
WEB = Path(__file__).resolve().parent.parent / "src" / "statusping" / "web" / "static"
ASSETS = ("app.css", "vendor/htmx.min.js", "js/dashboard.js", "js/theme.js")


# Seeding --------------------------------------------------------------------------------------


async def prepare(url: str, *, monitors: int, series_monitors: int, rng: random.Random) -> list[uuid.UUID]:
    """The seeded monitors' day of state and history; returns their ids (series ones first)."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    start = floor_to(now - timedelta(hours=24), HOUR)
    try:
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker() as db, db.begin():
            ids = list((await db.scalars(select(Monitor.id).order_by(Monitor.name))).all())
            org_id = await db.scalar(select(Organization.id))
            assert org_id is not None
            await db.execute(update(Monitor).values(created_at=now - timedelta(days=2)))
            states: list[dict[str, Any]] = []
            incidents: list[dict[str, Any]] = []
            pauses: list[dict[str, Any]] = []
            for monitor_id in ids:
                roll = rng.random()
                status, paused = "up", False
                if roll < 0.01:
                    status = "down"
                    began = now - timedelta(minutes=rng.randint(1, 600))
                    incidents.append({
                        "id": uuid.uuid4(), "organization_id": org_id, "monitor_id": monitor_id,
                        "started_at": began, "confirmed_at": began + timedelta(minutes=2),
                    })  # fmt: skip
                elif roll < 0.02:
                    paused = True
                    pauses.append({"monitor_id": monitor_id, "started_at": now - timedelta(hours=3)})
                elif roll < 0.025:
                    status = "pending"
                checked = status != "pending"
                states.append({
                    "id": monitor_id, "status": status, "paused": paused,
                    "last_checked_at": now - timedelta(seconds=rng.uniform(0, 60)) if checked else None,
                    "last_response_ms": round(rng.uniform(40, 400), 2) if checked else None,
                    "next_check_at": None,  # no engine runs: nothing is due
                })  # fmt: skip
            for chunk in range(0, len(states), INSERT_CHUNK):
                await db.execute(update(Monitor), states[chunk : chunk + INSERT_CHUNK])
            for table, rows in ((Incident, incidents), (MonitorPause, pauses)):
                if rows:
                    await db.execute(insert(table), rows)
        rollups = [_hour(monitor_id, start + HOUR * h, rng) for monitor_id in ids for h in range(25)]
        for chunk in range(0, len(rollups), INSERT_CHUNK * 5):
            async with sessionmaker() as db, db.begin():
                await db.execute(insert(HourlyRollup), rollups[chunk : chunk + INSERT_CHUNK * 5])
        for monitor_id in ids[:series_monitors]:
            rows = [_result(monitor_id, now - timedelta(seconds=60 * k), rng) for k in range(1440)]
            async with sessionmaker() as db, db.begin():
                num = await db.scalar(select(Monitor.num).where(Monitor.id == monitor_id))
                await ResultsRepository(db).insert(rows, {monitor_id: num})
    finally:
        await engine.dispose()
    return ids


def _hour(monitor_id: uuid.UUID, at: datetime, rng: random.Random) -> dict[str, Any]:
    base = rng.uniform(50, 300)
    return {
        "monitor_id": monitor_id, "region": "default", "bucket_start": at, "checks": 60,
        "failures": 1 if rng.random() < 0.05 else 0,
        "downtime_seconds": 120.0 if rng.random() < 0.01 else 0.0,
        "response_count": 60, "response_sum": base * 60, "response_min": base * 0.6, "response_max": base * 2,
        "dns_sum": 60.0, "dns_count": 60, "connect_sum": 300.0, "connect_count": 60,
        "tls_sum": 0.0, "tls_count": 0, "ttfb_sum": base * 50, "ttfb_count": 60,
        "h05": 30, "h06": 30,
    }  # fmt: skip


def _result(monitor_id: uuid.UUID, at: datetime, rng: random.Random) -> dict[str, Any]:
    ms = round(rng.uniform(50, 300), 2)
    return {
        "monitor_id": monitor_id, "checked_at": at, "region": "default", "ok": True, "status_code": 200,
        "response_ms": ms, "dns_ms": 1.0, "connect_ms": 5.0, "tls_ms": None, "ttfb_ms": ms * 0.8,
        "error_kind": None, "error": None,
    }  # fmt: skip


async def own_monitors(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Sign a user up, then hand the seeded monitors to the user's organization."""
    answer = await client.post(
        "/api/v1/auth/signup",
        json={"email": "bench@example.com", "password": PASSWORD, "organization": "Bench Inc"},
    )
    assert answer.status_code == 201, answer.text
    client.headers["X-CSRF-Token"] = client.cookies["statusping_csrf"]
    org_id = uuid.UUID((await client.get("/api/v1/me")).json()["organization"]["id"])
    async with app.state.sessionmaker() as db, db.begin():
        await db.execute(update(Monitor).values(organization_id=org_id))
        await db.execute(update(Incident).values(organization_id=org_id))


# Timing ---------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def timed(
    call: Callable[[], Awaitable[httpx.Response]], samples: int, warmup: int = 3
) -> dict[str, Any]:
    for _ in range(warmup):
        response = await call()
        assert response.status_code == 200, response.text[:300]
    times = []
    size = 0
    for _ in range(samples):
        started = time.perf_counter()
        response = await call()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        size = len(response.content)
    return {"p50_ms": round(pct(times, 0.5), 2), "p95_ms": round(pct(times, 0.95), 2), "bytes": size}


def floor_app() -> FastAPI:
    bare = FastAPI()
    queue: asyncio.Queue[str] = asyncio.Queue()
    bare.state.queue = queue

    @bare.get("/floor")
    async def floor() -> HTMLResponse:
        return HTMLResponse("<!doctype html><p>ok</p>")

    @bare.get("/floor/events")
    async def events() -> StreamingResponse:
        async def stream() -> Any:
            yield ": connected\n\n"
            while True:
                yield f"data: {await queue.get()}\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    return bare


async def serve(app: FastAPI) -> tuple[str, Server, asyncio.Task[None]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for it)
        await asyncio.sleep(0.01)
    return f"http://127.0.0.1:{port}", server, task


async def stream_latency(
    url: str, cookies: httpx.Cookies, trigger: Callable[[int], Awaitable[str]], changes: int
) -> dict[str, Any]:
    """Open ``url`` as an event stream; ``trigger(i)`` makes change i and answers the key its event
    carries; time each from the moment ``trigger`` returns (committed) to the event's arrival."""
    arrived: dict[str, float] = {}
    # The session was made through the ASGI transport (host "testserver"): send it as a header.
    header = {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}
    async with (
        httpx.AsyncClient(headers=header, timeout=30) as client,
        client.stream("GET", url) as response,
    ):
        assert response.status_code == 200

        async def read() -> None:
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    for key in _keys(line[6:]):
                        arrived.setdefault(key, time.perf_counter())

        reader = asyncio.create_task(read())
        await asyncio.sleep(0.3)  # connected
        delays = []
        for i in range(changes):
            key = await trigger(i)
            sent = time.perf_counter()
            while key not in arrived:  # noqa: ASYNC110 (the reader task fills it)
                await asyncio.sleep(0.002)
            delays.append((arrived[key] - sent) * 1000)
            await asyncio.sleep(random.uniform(0.05, 0.3))  # not in step with the poller
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    return {
        "p50_ms": round(pct(delays, 0.5), 1),
        "p95_ms": round(pct(delays, 0.95), 1),
        "max_ms": round(max(delays), 1),
    }


def _keys(data: str) -> list[str]:
    try:
        body = json.loads(data)
    except ValueError:
        return [data]
    if isinstance(body, dict) and "monitor_id" in body:
        return [f"{body['monitor_id']}:{body['status']}"]
    return []


# The run --------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    db = await create_database(args.postgres_url if args.postgres else None)
    report: dict[str, Any] = {
        "database": db.kind, "monitors": args.monitors, "samples": args.samples,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }  # fmt: skip
    try:
        started = time.perf_counter()
        await seed(db, monitors=args.monitors, interval=60, target_url="http://127.0.0.1:9/health")
        ids = await prepare(db.url, monitors=args.monitors, series_monitors=args.series_monitors, rng=rng)
        report["seed_seconds"] = round(time.perf_counter() - started, 1)
        data_dir = Path(db.cleanup_dir or tempfile.mkdtemp(prefix="statusping-bench-")) / "data"
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=db.url, data_dir=data_dir, mode="selfhosted",
            base_url="http://127.0.0.1:8000", smtp_host=None,
        )  # fmt: skip
        app = create_app(settings, migrate=False, engine=False)
        bare = floor_app()
        async with app.router.lifespan_context(app):
            base = "http://testserver"
            async with (
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as client,
                httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url=base) as floor,
            ):
                await own_monitors(app, client)
                report["requests"] = await measure_pages(client, floor, ids, args)
                page = await client.get("/dashboard")
                report["weight"] = weight(page.content)
                report["sse"] = await measure_stream(app, bare, client.cookies, ids, args.changes)
    finally:
        await drop_database(db)
    return report


async def measure_pages(
    client: httpx.AsyncClient, floor: httpx.AsyncClient, ids: list[uuid.UUID], args: argparse.Namespace
) -> dict[str, Any]:
    series_ids = ids[: max(1, args.series_monitors)]
    pick = random.Random(1)
    htmx = {"HX-Request": "true", "HX-Target": "monitor-list"}
    deep = max(1, args.monitors // 50 // 2)
    cases: dict[str, Callable[[], Awaitable[httpx.Response]]] = {
        "floor: bare FastAPI HTML": lambda: floor.get("/floor"),
        "dashboard (first page, status sort)": lambda: client.get("/dashboard"),
        "dashboard search q=bench 12": lambda: client.get("/dashboard", params={"q": "bench 12"}),
        "dashboard filter status=down": lambda: client.get("/dashboard", params={"status": "down"}),
        f"dashboard sort=name page={deep}": lambda: client.get(
            "/dashboard", params={"sort": "name", "page": deep}
        ),
        "dashboard sort=uptime": lambda: client.get("/dashboard", params={"sort": "uptime"}),
        "dashboard list only (htmx)": lambda: client.get("/dashboard", headers=htmx),
        "monitor page HTML": lambda: client.get(f"/monitors/{pick.choice(series_ids)}"),
        "series JSON 24h": lambda: client.get(f"/api/v1/monitors/{pick.choice(series_ids)}/series"),
        "series JSON 7d": lambda: client.get(f"/api/v1/monitors/{pick.choice(series_ids)}/series?range=7d"),
    }
    results = {}
    for name, call in cases.items():
        results[name] = await timed(call, args.samples)
        print(f"  {name:40s} p50 {results[name]['p50_ms']:7.2f} ms  p95 {results[name]['p95_ms']:7.2f} ms  "
              f"{results[name]['bytes']:>8,} B", file=sys.stderr, flush=True)  # fmt: skip
    return results


def weight(html: bytes) -> dict[str, int]:
    sizes = {"dashboard HTML": len(html), "dashboard HTML gzip": len(gzip.compress(html))}
    for asset in ASSETS:
        data = (WEB / asset).read_bytes()
        sizes[asset] = len(data)
        sizes[f"{asset} gzip"] = len(gzip.compress(data))
    return sizes


async def measure_stream(
    app: FastAPI, bare: FastAPI, cookies: httpx.Cookies, ids: list[uuid.UUID], changes: int
) -> dict[str, Any]:
    url, server, task = await serve(app)
    floor_url, floor_server, floor_task = await serve(bare)
    candidates = ids[-changes:]
    try:

        async def change(i: int) -> str:
            monitor_id = candidates[i]
            down = CheckOutcome.failure(ErrorKind.CONNECTION, "refused")
            obs = Observation(monitor_id, down, datetime.now(UTC), immediate=True)
            async with app.state.sessionmaker() as db, db.begin():
                await record(db, [obs], region="default")
            return f"{monitor_id}:down"

        async def feed(i: int) -> str:
            key = f"floor-{i}"
            bare.state.queue.put_nowait(key)
            return key

        app_sse = await stream_latency(f"{url}/dashboard/events", cookies, change, changes)
        floor_sse = await stream_latency(f"{floor_url}/floor/events", httpx.Cookies(), feed, changes)
    finally:
        for srv, running in ((server, task), (floor_server, floor_task)):
            srv.should_exit = True
            await asyncio.wait_for(running, 15)
    return {"state change → SSE event": app_sse, "floor: bare FastAPI SSE from a queue": floor_sse,
            "poll_seconds": app.state.live.poll_seconds}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=30, help="timed requests per case (after 3 warm-ups)")
    parser.add_argument("--series-monitors", type=int, default=20, help="monitors given a day of raw results")
    parser.add_argument("--changes", type=int, default=20, help="state changes timed to the SSE event")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL database")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    floor = report["requests"]["floor: bare FastAPI HTML"]["p95_ms"]
    for figures in report["requests"].values():
        figures["p95_vs_floor"] = round(figures["p95_ms"] / floor, 1) if floor else None
    dashboard = report["requests"]["dashboard (first page, status sort)"]["p95_ms"]
    report["goal"] = {"dashboard p95 under 100 ms": dashboard < GOAL_MS}
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
