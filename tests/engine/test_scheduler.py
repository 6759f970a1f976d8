"""Claiming and re-slotting on the real database (no engine loop)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from statusping.engine.scheduler import claim_due, spread_backlog
from statusping.storage.models import Monitor
from tests.support import signup


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"mode": "selfhosted", "min_interval_seconds": 1}


async def make_monitors(client: httpx.AsyncClient, count: int, interval: int = 30) -> None:
    await signup(client)
    for n in range(count):
        response = await client.post(
            "/api/v1/monitors",
            json={
                "name": f"m{n}",
                "type": "tcp",
                "host": "127.0.0.1",
                "port": 9,
                "interval_seconds": interval,
            },
        )
        assert response.status_code == 201


async def test_after_an_outage_of_the_engine_the_backlog_is_spread_over_one_interval(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_monitors(client, 60)
    now = datetime.now(UTC)
    async with app.state.sessionmaker() as db, db.begin():
        await db.execute(update(Monitor).values(next_check_at=now - timedelta(hours=3)))
    async with app.state.sessionmaker() as db, db.begin():
        assert await spread_backlog(db, now=now) == 60
    async with app.state.sessionmaker() as db:
        due = list(await db.scalars(select(Monitor.next_check_at)))
    offsets = sorted((d - now).total_seconds() for d in due if d is not None)
    assert len(offsets) == 60
    assert offsets[0] > 0
    assert offsets[-1] <= 30
    # Spread, not bunched: no single second holds more than a handful of the sixty.
    per_second = [sum(1 for o in offsets if s <= o < s + 1) for s in range(30)]
    assert max(per_second) <= 8


async def test_a_claimed_monitor_cannot_be_claimed_again_until_its_lease_runs_out(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_monitors(client, 5)
    now = datetime.now(UTC) + timedelta(seconds=1)
    async with app.state.sessionmaker() as db, db.begin():
        first = await claim_due(db, owner="worker-a", now=now, limit=100)
    async with app.state.sessionmaker() as db, db.begin():
        second = await claim_due(db, owner="worker-b", now=now, limit=100)
    assert len(first) == 5
    assert second == []
    # timeout (default 10 s) + 10 s margin later, a dead worker's monitors are up for grabs.
    async with app.state.sessionmaker() as db, db.begin():
        later = await claim_due(db, owner="worker-b", now=now + timedelta(seconds=21), limit=100)
    assert {c.monitor_id for c in later} == {c.monitor_id for c in first}


async def test_paused_monitors_are_never_claimed(app: FastAPI, client: httpx.AsyncClient) -> None:
    await make_monitors(client, 2)
    monitors = (await client.get("/api/v1/monitors")).json()
    await client.post(f"/api/v1/monitors/{monitors[0]['id']}/pause")
    async with app.state.sessionmaker() as db, db.begin():
        claimed = await claim_due(db, owner="w", now=datetime.now(UTC) + timedelta(seconds=1), limit=10)
    assert [str(c.monitor_id) for c in claimed] == [monitors[1]["id"]]
