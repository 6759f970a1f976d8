"""The embedded engine survives a database error it did not expect, and /api/health tells the truth.

The fault is real: a table the engine needs is renamed away under it (on SQLite and PostgreSQL
alike) and renamed back later, as a botched migration or a restore would do.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from statusping.supervisor import LoopSpec, LoopState, Supervisor
from tests.conftest import free_port
from tests.e2e.conftest import statusping_executable
from tests.support import eventually, signup
from tests.targets import SwitchableTarget


@pytest.fixture
def engine_enabled() -> bool:
    return True


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # A loop without progress for 3 s counts as stalled, so the outage shows within seconds.
    return {"mode": "selfhosted", "min_interval_seconds": 1, "loop_stall_seconds": 3}


async def rename(app: FastAPI, old: str, new: str) -> None:
    async with app.state.engine.begin() as conn:
        await conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


async def health(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/api/health")


async def result_count(client: httpx.AsyncClient, monitor_id: str) -> int:
    response = await client.get(f"/api/v1/monitors/{monitor_id}/results?limit=500")
    assert response.status_code == 200, response.text
    return len(response.json())


async def test_the_engine_survives_a_lost_table_and_health_answers_503_until_it_recovers(
    app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="statusping")
    await signup(client)
    response = await client.post(
        "/api/v1/monitors",
        json={"name": "Shop", "type": "http", "url": target.url, "interval_seconds": 2, "timeout_seconds": 1},
    )
    assert response.status_code == 201, response.text
    monitor_id = response.json()["id"]
    await eventually(lambda: result_count(client, monitor_id))

    async def ok() -> bool:
        return (await health(client)).status_code == 200

    await eventually(ok)
    body = (await health(client)).json()
    assert body["loops"]["engine.claim"]["state"] == "running"
    assert body["loops"]["dispatcher"]["state"] == "running"

    await rename(app, "monitors", "monitors_away")
    try:

        async def unhealthy() -> dict[str, Any] | None:
            answer = await health(client)
            return answer.json() if answer.status_code == 503 else None

        body = await eventually(unhealthy, within=30)
        claim = body["loops"]["engine.claim"]
        assert body["status"] == "error"
        assert body["database"] == "ok"  # the database answers; the engine is what is stuck
        assert claim["healthy"] is False
        assert claim["state"] in ("backing_off", "running")
        assert "monitors" in claim["last_error"]
        failures = [r for r in caplog.records if r.getMessage().startswith("engine.claim failed")]
        assert failures, "the first failure is logged"
        assert failures[0].exc_info is not None  # with its traceback, once
        assert all(r.exc_info is None for r in caplog.records if "failed again" in r.getMessage())
    finally:
        await rename(app, "monitors_away", "monitors")

    before = await result_count(client, monitor_id)

    async def checking_again() -> bool:
        return await result_count(client, monitor_id) > before

    await eventually(checking_again, within=30)
    await eventually(ok, within=30)
    body = (await health(client)).json()
    assert body["loops"]["engine.claim"]["restarts"] >= 1
    assert body["engine"]["running"] is True
    assert any("engine.claim recovered" in r.getMessage() for r in caplog.records)


async def test_a_loop_that_loses_the_database_says_so_once_and_once_when_it_is_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = Supervisor()
    stop = asyncio.Event()
    runs = 0

    async def flaky(loop: Any) -> None:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise ConnectionRefusedError(f"database at 127.0.0.1:{5432 + runs} refused the connection")
        loop.progress()
        await stop.wait()

    with caplog.at_level(logging.INFO, logger="statusping.supervisor"):
        loop = supervisor.start(LoopSpec("flaky", stall_after=60), flaky, stop=stop)
        await eventually(lambda: _true(loop.last_progress is not None and loop.failures == 0), within=15)
        stop.set()
        await loop.finish(5)
    assert runs == 3
    assert loop.restarts == 2  # after pauses of 1 and 2 s
    assert loop.state is LoopState.STOPPED
    assert loop.last_error == "ConnectionRefusedError: database at 127.0.0.1:5434 refused the connection"
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages
    assert messages[0] == (
        "flaky lost the database (ConnectionRefusedError: database at 127.0.0.1:5433 refused the"
        " connection); retrying every 5 s at most"
    )
    assert re.fullmatch(r"flaky has the database back after [34]\.\d s", messages[1]), messages[1]
    assert all(r.exc_info is None for r in caplog.records)  # a refused connection is not a bug


async def test_a_loop_that_keeps_failing_on_a_bug_logs_its_traceback_once_and_changes_briefly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = Supervisor()
    stop = asyncio.Event()
    runs = 0

    async def buggy(loop: Any) -> None:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise KeyError("region")
        if runs < 4:
            raise ValueError("a different bug")
        loop.progress()
        await stop.wait()

    with caplog.at_level(logging.INFO, logger="statusping.supervisor"):
        loop = supervisor.start(LoopSpec("buggy", stall_after=60), buggy, stop=stop)
        await eventually(lambda: _true(loop.last_progress is not None and loop.failures == 0), within=15)
        stop.set()
        await loop.finish(5)
    messages = [r.getMessage() for r in caplog.records]
    # The same error again says nothing; a new one says one line; recovery says one line.
    assert messages[0] == "buggy failed; restarting in 1 s"
    assert messages[1] == "buggy still failing (3 times in a row, for 3 s): ValueError: a different bug"
    assert re.fullmatch(r"buggy recovered after 3 failure\(s\) in [67]\.\d s", messages[2]), messages[2]
    assert len(messages) == 3, messages
    assert [r.exc_info is not None for r in caplog.records] == [True, False, False]


async def test_an_error_no_restart_can_cure_leaves_the_loop_dead_and_unhealthy() -> None:
    supervisor = Supervisor()
    stop = asyncio.Event()

    async def misconfigured(loop: Any) -> None:
        import statusping_no_such_driver  # type: ignore[import-not-found]  # noqa: F401

    loop = supervisor.start(LoopSpec("misconfigured"), misconfigured, stop=stop)
    await asyncio.wait_for(supervisor.dead.wait(), 10)
    assert loop.state is LoopState.DEAD
    assert supervisor.healthy() is False
    assert supervisor.report()["misconfigured"]["state"] == "dead"
    stop.set()
    await loop.finish(1)


async def run_worker(database_url: str, log: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSPING_")}
    env.update(STATUSPING_DATABASE_URL=database_url, STATUSPING_MODE="selfhosted",
               STATUSPING_DATA_DIR=str(log.parent / "data"))  # fmt: skip
    with log.open("wb") as handle:
        return await asyncio.create_subprocess_exec(
            statusping_executable(), "worker", env=env, stdout=handle, stderr=asyncio.subprocess.STDOUT
        )


async def test_a_worker_waits_for_an_unreachable_database_and_exits_cleanly_when_told(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/statusping"
    worker = await run_worker(url, log)
    try:

        async def retrying() -> bool:
            return log.read_text().count("database not reachable") >= 2

        await eventually(retrying, within=60)
        assert worker.returncode is None  # still there, retrying: a process manager has nothing to do
    finally:
        if worker.returncode is None:
            worker.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(worker.wait(), 30) == 0, log.read_text()


async def test_a_worker_with_a_database_url_it_cannot_use_exits_non_zero(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    worker = await run_worker("nonsense:::", log)
    assert await asyncio.wait_for(worker.wait(), 60) == 1
    assert "STATUSPING_DATABASE_URL" in log.read_text()


async def _true(value: bool) -> bool:
    return value
