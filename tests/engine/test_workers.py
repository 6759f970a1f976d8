"""`statusping worker` processes sharing one database: leases, no double checks, takeover."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_PG_URL
from tests.e2e.conftest import statusping_executable
from tests.support import eventually, signup
from tests.targets import SwitchableTarget

MONITORS = 12
INTERVAL = 2


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"mode": "selfhosted", "min_interval_seconds": 1}


async def start_worker(
    database_url: str, region: str, log: Path, source_address: str | None = None
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSPING_")}
    env.update(STATUSPING_DATABASE_URL=database_url, STATUSPING_MODE="selfhosted")
    source = ["--source-address", source_address] if source_address else []
    handle = log.open("wb")
    try:
        return await asyncio.create_subprocess_exec(
            statusping_executable(), "worker", "--region", region, *source,
            env=env, stdout=handle, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    finally:
        handle.close()


async def stop(process: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> int:
    if process.returncode is None:
        process.send_signal(sig)
    return await asyncio.wait_for(process.wait(), 30)


async def create_monitors(client: httpx.AsyncClient, target: SwitchableTarget) -> list[str]:
    await signup(client)
    ids = []
    for n in range(MONITORS):
        response = await client.post(
            "/api/v1/monitors",
            json={"name": f"m{n}", "type": "http", "url": f"{target.url}?m={n}",
                  "interval_seconds": INTERVAL, "timeout_seconds": 1},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


async def all_results(client: httpx.AsyncClient, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for monitor_id in ids:
        response = await client.get(f"/api/v1/monitors/{monitor_id}/results?limit=500")
        out[monitor_id] = response.json()
    return out


def assert_no_double_checks(results: dict[str, list[dict[str, Any]]]) -> None:
    for monitor_id, rows in results.items():
        times = sorted(datetime.fromisoformat(r["checked_at"]) for r in rows)
        gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
        # Healthy monitors run once per slot; a second run of the same slot would sit close by.
        assert all(gap > INTERVAL / 2 for gap in gaps), (monitor_id, gaps)


@pytest.mark.skipif(
    not TEST_PG_URL, reason="needs PostgreSQL (STATUSPING_TEST_DATABASE_URL); SQLite runs one engine"
)
async def test_two_workers_share_the_monitors_and_one_takes_over_when_the_other_dies(
    client: httpx.AsyncClient, target: SwitchableTarget, database_url: str, tmp_path: Path
) -> None:
    ids = await create_monitors(client, target)
    target.delay = 0.5  # so the killed worker dies with checks in flight and leases held
    # One region, so each check runs once (two regions would each check every monitor); the
    # target tells the workers apart by the address each sends its checks from.
    a = await start_worker(database_url, "shared", tmp_path / "a.log", "127.0.0.2")
    b = await start_worker(database_url, "shared", tmp_path / "b.log", "127.0.0.3")
    try:

        async def both_working() -> bool:
            peers: Counter[str] = Counter()
            for (_, peer), count in target.hits_from.items():
                peers[peer] += count
            return peers["127.0.0.2"] >= 5 and peers["127.0.0.3"] >= 5

        await eventually(both_working, within=30)
        assert await stop(a, signal.SIGKILL) == -signal.SIGKILL
        at_kill = Counter(target.hits_from)

        async def all_checked_by_b_since_the_kill() -> bool:
            return all(
                target.hits_from[(f"{n}", "127.0.0.3")] > at_kill[(f"{n}", "127.0.0.3")]
                for n in range(MONITORS)
            )

        # Leases of a killed worker last timeout + 10 s; well inside the minute the contract allows.
        await eventually(all_checked_by_b_since_the_kill, within=40)
    finally:
        await stop(a, signal.SIGKILL)
        assert await stop(b) == 0, (tmp_path / "b.log").read_text()
    results = await all_results(client, ids)
    assert_no_double_checks(results)
    # Every check the target saw was recorded, except at most the ones the killed worker had in
    # flight (they reached the target but died with it).
    recorded = sum(len(rows) for rows in results.values())
    assert recorded <= sum(target.hits.values()) <= recorded + MONITORS


@pytest.mark.skipif(
    bool(TEST_PG_URL), reason="PostgreSQL runs any number of engines; the SQLite rule does not apply"
)
async def test_on_sqlite_a_second_engine_waits_until_the_first_stops(
    client: httpx.AsyncClient, target: SwitchableTarget, database_url: str, tmp_path: Path
) -> None:
    ids = await create_monitors(client, target)
    first = await start_worker(database_url, "first", tmp_path / "first.log")
    await eventually(lambda: _has_results(client, ids, "first"), within=20)
    second = await start_worker(database_url, "second", tmp_path / "second.log")
    try:
        await asyncio.sleep(3 * INTERVAL)
        regions = {r["region"] for rows in (await all_results(client, ids)).values() for r in rows}
        assert regions == {"first"}
        assert await stop(first) == 0
        await eventually(lambda: _has_results(client, ids, "second"), within=30)
    finally:
        await stop(first, signal.SIGKILL)
        assert await stop(second) == 0
    assert_no_double_checks(await all_results(client, ids))


async def _has_results(client: httpx.AsyncClient, ids: list[str], region: str) -> bool:
    results = await all_results(client, ids)
    return all(any(r["region"] == region for r in rows) for rows in results.values())
