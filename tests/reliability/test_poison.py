"""One bad result cannot poison recording; a recorder that falls behind slows the checks down.

Everything runs against the real database: real monitors, the real ``record`` service, the engine's
real batch recorder and a real engine whose results table is renamed away under it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.engine.batches import UNSTORABLE, BatchRecorder
from statusping.engine.worker import Engine, EngineOptions
from statusping.services.recording import Observation, record
from tests.support import eventually, signup
from tests.targets import SwitchableTarget


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"mode": "selfhosted", "min_interval_seconds": 1}


async def create_monitors(client: httpx.AsyncClient, url: str, count: int) -> list[uuid.UUID]:
    await signup(client)
    ids = []
    for n in range(count):
        response = await client.post(
            "/api/v1/monitors",
            json={"name": f"m{n}", "type": "http", "url": f"{url}?m={n}", "interval_seconds": 2,
                  "timeout_seconds": 1},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        ids.append(uuid.UUID(response.json()["id"]))
    return ids


async def results(client: httpx.AsyncClient, monitor_id: uuid.UUID) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/monitors/{monitor_id}/results")
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


async def rename(app: FastAPI, old: str, new: str) -> None:
    async with app.state.engine.begin() as conn:
        await conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


def failure(message: str) -> CheckOutcome:
    return CheckOutcome.failure(ErrorKind.DNS, message, response_ms=3.0)


async def test_a_batch_with_a_nul_a_lone_surrogate_and_a_megabyte_of_error_is_stored_whole(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    nul, surrogate, huge, fine = await create_monitors(client, "http://127.0.0.1:9/", 4)
    now = datetime.now(UTC)
    batch = [
        Observation(nul, failure("TXT answer \x00 with a NUL"), now),
        Observation(surrogate, failure("half a pair: \ud83d"), now),
        Observation(huge, failure("x" * 1_000_000), now),
        Observation(fine, CheckOutcome(ok=True, response_ms=12.0, status_code=200), now),
    ]
    async with app.state.sessionmaker() as db, db.begin():
        recorded = await record(db, batch, region="default")
    assert len(recorded) == 4

    (row,) = await results(client, fine)
    assert row["ok"] is True
    assert row["status_code"] == 200
    (row,) = await results(client, nul)
    assert row["error"] == "TXT answer  with a NUL"
    (row,) = await results(client, surrogate)
    assert row["error"] == "half a pair: \ufffd"
    (row,) = await results(client, huge)
    assert 0 < len(row["error"]) <= 1000
    monitor = (await client.get(f"/api/v1/monitors/{huge}")).json()
    assert monitor["status"] == "pending"  # one failure is not an outage yet


async def test_a_result_that_cannot_be_stored_is_isolated_and_its_neighbours_are_kept(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    ids = await create_monitors(client, "http://127.0.0.1:9/", 5)
    now = datetime.now(UTC)
    ok = CheckOutcome(ok=True, response_ms=5.0, status_code=200)
    # Two bugs a runner could have: a naive certificate expiry (the plain-error form of this result
    # can be stored), and a naive check time (nothing about this result can be stored).
    naive_expiry = CheckOutcome(
        ok=True, response_ms=5.0, status_code=200, ssl_expires_at=datetime(2030, 1, 1)
    )
    pending = [
        Observation(ids[0], ok, now),
        Observation(ids[1], naive_expiry, now),
        Observation(ids[2], ok, now),
        Observation(ids[3], ok, now.replace(tzinfo=None) - timedelta(seconds=1)),
        Observation(ids[4], ok, now),
    ]
    recorder = BatchRecorder(_transaction(app), pending, region="default")
    with caplog.at_level(logging.ERROR, logger="statusping.engine.batches"):
        await recorder.flush(batch_size=200)

    assert pending == []
    assert (recorder.stored, recorder.substituted, recorder.dropped) == (3, 1, 1)
    for monitor_id in (ids[0], ids[2], ids[4]):
        (row,) = await results(client, monitor_id)
        assert row["ok"] is True
    (row,) = await results(client, ids[1])
    assert (row["ok"], row["error_kind"], row["error"]) == (False, "other", UNSTORABLE)
    assert await results(client, ids[3]) == []
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"monitor {ids[1]}" in logged
    assert f"dropping the result of monitor {ids[3]}" in logged


async def test_claiming_stops_at_the_queue_bound_while_recording_fails_and_resumes_after(
    app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget, settings: Any
) -> None:
    ids = await create_monitors(client, target.url, 12)
    options = EngineOptions(
        concurrency=50, batch_size=2, max_pending=5, poll_interval=0.05, flush_interval=0.05,
        singleton=settings.is_sqlite,
    )  # fmt: skip
    await rename(app, "check_results", "check_results_away")
    engine = Engine(app.state.sessionmaker, app.state.http_client, options)
    running = asyncio.create_task(engine.run())
    try:
        await eventually(lambda: _true(engine.pending == engine.queue_bound), within=20)
        recorder = engine.supervisor.loops["engine.recorder"]
        await eventually(lambda: _true(recorder.restarts >= 2), within=20)
        # Nothing was recorded, so every check the target saw is still queued or in flight.
        assert engine.pending <= engine.queue_bound == 5
        assert sum(target.hits.values()) <= engine.queue_bound
    finally:
        await rename(app, "check_results_away", "check_results")

    async def recorded_again() -> bool:
        return sum([len(await results(client, m)) for m in ids]) > engine.queue_bound

    await eventually(recorded_again, within=30)
    assert sum(target.hits.values()) > engine.queue_bound  # claiming resumed
    engine.stop()
    await asyncio.wait_for(running, 30)


async def test_an_engine_whose_recording_fails_still_stops_within_its_grace(
    app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget, settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    await create_monitors(client, target.url, 3)
    options = EngineOptions(poll_interval=0.05, shutdown_grace=1.0, singleton=settings.is_sqlite)
    await rename(app, "check_results", "check_results_away")
    try:
        engine = Engine(app.state.sessionmaker, app.state.http_client, options)
        running = asyncio.create_task(engine.run())
        await eventually(lambda: _true(engine.pending >= 1), within=20)
        with caplog.at_level(logging.WARNING, logger="statusping.engine.worker"):
            engine.stop()
            await asyncio.wait_for(running, 30)  # bounded: it does not wait for the database
        assert engine.pending >= 1
        assert any("results unrecorded" in r.getMessage() for r in caplog.records)
    finally:
        await rename(app, "check_results_away", "check_results")


def _transaction(app: FastAPI) -> Any:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def transaction() -> Any:
        async with app.state.sessionmaker() as db, db.begin():
            yield db

    return transaction


async def _true(value: bool) -> bool:
    return value
