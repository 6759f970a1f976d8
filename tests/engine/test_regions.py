"""Multi-region confirmation with real `statusping worker` processes, one per region, each sending its
checks from its own loopback address (``--source-address``) to a target that can refuse any of them.

On PostgreSQL the three regions check every monitor side by side and a quorum decides; on SQLite one
engine runs at a time (docs/decisions.md), so a second region's worker waits and never counts.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from tests.alerting import Receiver, create_channel, receiver  # noqa: F401 (fixture)
from tests.conftest import TEST_PG_URL
from tests.e2e.conftest import statusping_executable
from tests.support import SmtpSink, eventually, signup

SOURCES = {"eu": "127.0.0.2", "us": "127.0.0.3", "ap": "127.0.0.4"}
INTERVAL = 1


class RegionTarget:
    """An HTTP target on 127.0.0.1 that answers 503 to requests from the addresses in ``broken``."""

    def __init__(self) -> None:
        self.broken: set[str] = set()
        self.peers: Counter[str] = Counter()
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"

    async def _handle(self, request: web.Request) -> web.Response:
        peer = request.remote or ""
        self.peers[peer] += 1
        if peer in self.broken:
            return web.Response(status=503, text="unavailable from your network")
        return web.Response(text="ok")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/health", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        assert site._server is not None
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def region_target() -> AsyncIterator[RegionTarget]:
    server = RegionTarget()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"mode": "selfhosted", "min_interval_seconds": 1}


def worker_env(database_url: str, smtp: SmtpSink) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSPING_")}
    env.update(
        STATUSPING_DATABASE_URL=database_url,
        STATUSPING_MODE="selfhosted",
        STATUSPING_MIN_INTERVAL_SECONDS="1",
        STATUSPING_SMTP_HOST="127.0.0.1",
        STATUSPING_SMTP_PORT=str(smtp.port),
        STATUSPING_SMTP_STARTTLS="false",
        # Report every half second; a region silent for 3 s is out (production: 5 s and 30 s).
        STATUSPING_REGION_BEAT_SECONDS="0.5",
        STATUSPING_REGION_LIVE_SECONDS="3",
    )
    return env


class Workers:
    """`statusping worker --region R --source-address IP` processes, named by region (or ``name``)."""

    def __init__(self, database_url: str, smtp: SmtpSink, logs: Path) -> None:
        self.env = worker_env(database_url, smtp)
        self.logs = logs
        self.processes: dict[str, asyncio.subprocess.Process] = {}

    async def start(self, region: str, *, name: str | None = None, source: str | None = None) -> None:
        name = name or region
        with (self.logs / f"{name}.log").open("wb") as handle:
            self.processes[name] = await asyncio.create_subprocess_exec(
                statusping_executable(), "worker", "--region", region,
                "--source-address", source or SOURCES[region],
                env=self.env, stdout=handle, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip

    def log(self, region: str) -> str:
        return (self.logs / f"{region}.log").read_text(errors="replace")

    async def kill(self, region: str) -> None:
        process = self.processes[region]
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), 30)

    async def stop_all(self) -> None:
        for process in self.processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for region, process in self.processes.items():
            code = await asyncio.wait_for(process.wait(), 30)
            assert code in (0, -signal.SIGKILL), self.log(region)


@pytest.fixture
async def workers(database_url: str, smtp_sink: SmtpSink, tmp_path: Path) -> AsyncIterator[Workers]:
    running = Workers(database_url, smtp_sink, tmp_path)
    try:
        yield running
    finally:
        await running.stop_all()


async def create_monitor(client: httpx.AsyncClient, url: str, hook: Receiver) -> tuple[str, str]:
    await signup(client)
    webhook = await create_channel(client, name="Ops hook", kind="webhook", config={"url": hook.url()})
    email = await create_channel(client, name="Ops mail", kind="email", config={"to": ["ops@example.com"]})
    response = await client.post(
        "/api/v1/monitors",
        json={"name": "Shop", "type": "http", "url": url, "interval_seconds": INTERVAL, "timeout_seconds": 0.9,
              "failure_threshold": 2, "retry_interval_seconds": 1,
              "channel_ids": [webhook["id"], email["id"]]},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()["id"], email["id"]


async def results(
    client: httpx.AsyncClient, monitor_id: str, region: str | None = None
) -> list[dict[str, Any]]:
    query = f"&region={region}" if region else ""
    response = await client.get(f"/api/v1/monitors/{monitor_id}/results?limit=500{query}")
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


async def status(client: httpx.AsyncClient, monitor_id: str) -> str:
    response = await client.get(f"/api/v1/monitors/{monitor_id}")
    return str(response.json()["status"])


def regions_command(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSPING_")}
    env.update(STATUSPING_DATABASE_URL=database_url, STATUSPING_REGION_LIVE_SECONDS="3")
    return subprocess.run(
        [statusping_executable(), "regions"], env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def checked_by_all(client: httpx.AsyncClient, monitor_id: str, regions: list[str], count: int) -> bool:
    """Each region has at least ``count`` results, and the monitor is up."""
    for region in regions:
        if len(await results(client, monitor_id, region)) < count:
            return False
    return await status(client, monitor_id) == "up"


async def failing_streak(client: httpx.AsyncClient, monitor_id: str, region: str, count: int) -> bool:
    rows = await results(client, monitor_id, region)
    return len(rows) >= count and not any(r["ok"] for r in rows[:count])


async def test_one_broken_region_never_alerts_and_all_broken_alerts_once_per_channel_naming_them(
    client: httpx.AsyncClient,
    region_target: RegionTarget,
    receiver: Receiver,  # noqa: F811
    smtp_sink: SmtpSink,
    workers: Workers,
    database_url: str,
) -> None:
    monitor_id, _ = await create_monitor(client, region_target.url, receiver)
    if not TEST_PG_URL:
        await one_engine_on_sqlite(client, region_target, workers, database_url, monitor_id)
        return
    for region in SOURCES:
        await workers.start(region)
    await eventually(lambda: checked_by_all(client, monitor_id, list(SOURCES), 3), within=40)
    # Each region's checks really came from its own address.
    assert {"127.0.0.2", "127.0.0.3", "127.0.0.4"} <= set(region_target.peers)
    rows = await results(client, monitor_id, "us")
    assert {r["region"] for r in rows} == {"us"}

    # eu's path to the target breaks: eu confirms the failure on its own, nobody is alerted.
    region_target.broken = {SOURCES["eu"]}
    await eventually(lambda: failing_streak(client, monitor_id, "eu", 5), within=30)
    await eventually(lambda: checked_by_all(client, monitor_id, ["us", "ap"], 8), within=30)
    assert await status(client, monitor_id) == "up"
    assert receiver.requests == []
    assert smtp_sink.messages == []
    page = await client.get(f"/monitors/{monitor_id}")
    assert page.status_code == 200

    # Every region's path breaks: one down alert per channel, naming the regions.
    region_target.broken = set(SOURCES.values())
    await receiver.wait_for(1, within=30)
    await smtp_sink.wait_for(1, within=30)
    assert await status(client, monitor_id) == "down"
    for region in SOURCES:  # let every region fail a few more times while down: still one alert
        await eventually(lambda region=region: failing_streak(client, monitor_id, region, 6), within=30)
    downs = [r.json() for r in receiver.requests if r.json()["event"] == "down"]
    assert len(downs) == 1, [r.json()["event"] for r in receiver.requests]
    assert len(smtp_sink.messages) == 1
    down = downs[0]
    assert {r["region"] for r in down["regions"]} == set(SOURCES)
    assert sum(not r["ok"] for r in down["regions"]) >= 2
    assert "seen from" in down["cause"]
    mail = smtp_sink.messages[0]
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Regions:" in text
    assert all(name in text for name in SOURCES)
    incidents = (await client.get(f"/api/v1/monitors/{monitor_id}/incidents")).json()
    assert len(incidents) == 1
    assert "seen from" in incidents[0]["cause"]

    # A majority recovers: up again (the broken eu does not hold the outage).
    region_target.broken = {SOURCES["eu"]}
    await eventually(lambda: _status_is(client, monitor_id, "up"), within=30)


async def _status_is(client: httpx.AsyncClient, monitor_id: str, expected: str) -> bool:
    return await status(client, monitor_id) == expected


async def test_a_killed_region_is_excluded_and_operators_are_warned_but_customers_are_not_alerted(
    client: httpx.AsyncClient,
    region_target: RegionTarget,
    receiver: Receiver,  # noqa: F811
    smtp_sink: SmtpSink,
    workers: Workers,
    database_url: str,
) -> None:
    monitor_id, _ = await create_monitor(client, region_target.url, receiver)
    if not TEST_PG_URL:
        await one_engine_on_sqlite(client, region_target, workers, database_url, monitor_id)
        return
    for region in SOURCES:
        await workers.start(region)
    await eventually(lambda: checked_by_all(client, monitor_id, list(SOURCES), 3), within=40)
    region_target.broken = {SOURCES["eu"]}
    await eventually(lambda: failing_streak(client, monitor_id, "eu", 3), within=30)

    await workers.kill("ap")
    # The survivors notice within the live window and say so; ap leaves every quorum.
    await eventually(lambda: _logged(workers, "us", "region ap has no live worker"), within=20)
    listing = regions_command(database_url)
    assert listing.returncode == 1, listing.stdout + listing.stderr
    assert "SILENT" in listing.stdout
    assert "ap" in listing.stderr
    # With ap gone, eu's failure is one of two live regions: no majority, no alert.
    before = len(await results(client, monitor_id, "us"))
    await eventually(lambda: _more_results(client, monitor_id, "us", before + 6), within=30)
    assert await failing_streak(client, monitor_id, "eu", 6)
    us_errors = [r["error"] for r in await results(client, monitor_id, "us") if not r["ok"]]
    assert await status(client, monitor_id) == "up", us_errors
    assert receiver.requests == [], us_errors
    assert smtp_sink.messages == []


async def _logged(workers: Workers, region: str, text: str) -> bool:
    return text in workers.log(region)


async def _more_results(client: httpx.AsyncClient, monitor_id: str, region: str, count: int) -> bool:
    return len(await results(client, monitor_id, region)) >= count


async def one_engine_on_sqlite(
    client: httpx.AsyncClient, target: RegionTarget, workers: Workers, database_url: str, monitor_id: str
) -> None:
    """SQLite runs one engine at a time: the first region's worker checks, the others wait for its
    lease and never report, so monitors are checked from one region as before (docs/decisions.md)."""
    await workers.start("eu")
    await eventually(lambda: checked_by_all(client, monitor_id, ["eu"], 2), within=30)
    await workers.start("us")
    await workers.start("ap")
    await eventually(lambda: _more_results(client, monitor_id, "eu", 6), within=30)
    assert await results(client, monitor_id, "us") == []
    assert await results(client, monitor_id, "ap") == []
    assert set(target.peers) == {SOURCES["eu"]}
    listing = regions_command(database_url)
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert listing.stdout.split()[0] == "eu"
    assert "us" not in listing.stdout


async def test_several_workers_in_one_region_share_its_checks_without_running_one_twice(
    client: httpx.AsyncClient,
    region_target: RegionTarget,
    receiver: Receiver,  # noqa: F811
    workers: Workers,
    database_url: str,
) -> None:
    monitor_id, _ = await create_monitor(client, region_target.url, receiver)
    if not TEST_PG_URL:  # one engine at a time: the second eu worker waits for the first's lease
        await workers.start("eu", name="eu-1", source="127.0.0.2")
        await workers.start("eu", name="eu-2", source="127.0.0.5")
        await eventually(lambda: _more_results(client, monitor_id, "eu", 4), within=30)
        assert set(region_target.peers) == {"127.0.0.2"} or set(region_target.peers) == {"127.0.0.5"}
        return
    others = []
    for n in range(5):  # a few more monitors, so both eu workers have some to claim
        response = await client.post(
            "/api/v1/monitors",
            json={"name": f"m{n}", "type": "http", "url": f"{region_target.url}?m={n}",
                  "interval_seconds": INTERVAL, "timeout_seconds": 0.9},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        others.append(response.json()["id"])
    await workers.start("eu", name="eu-1", source="127.0.0.2")
    await workers.start("eu", name="eu-2", source="127.0.0.5")
    await workers.start("us")
    ids = [monitor_id, *others]

    async def each_checked_by_both_regions() -> bool:
        for key in ids:
            rows = await results(client, key)
            if min(sum(r["region"] == region for r in rows) for region in ("eu", "us")) < 6:
                return False
        return region_target.peers["127.0.0.2"] > 0 and region_target.peers["127.0.0.5"] > 0

    await eventually(each_checked_by_both_regions, within=40)
    for key in ids:
        rows = await results(client, key)
        for region in ("eu", "us"):
            times = sorted(datetime.fromisoformat(r["checked_at"]) for r in rows if r["region"] == region)
            gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
            # One check per slot and region, whichever of eu's workers ran it.
            assert all(gap > INTERVAL / 2 for gap in gaps), (key, region, gaps)
