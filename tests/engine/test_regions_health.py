"""Operators hear of a silent region: /api/health warns and /metrics says which region is out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from statusping.services.regions import report_in
from tests.support import eventually, signup


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"mode": "selfhosted", "region": "eu", "region_beat_seconds": 0.2, "region_live_seconds": 2}


@pytest.fixture
def engine_enabled() -> bool:
    return True


async def test_a_silent_region_is_a_warning_in_health_and_metrics(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    async with app.state.sessionmaker() as db, db.begin():
        await report_in(db, owner="a worker that died", region="ap", now=long_ago)

    async def warned() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get("/api/health")).json()
        return body if body.get("warnings") else None

    health = await eventually(warned, within=20)
    assert health["status"] == "ok"  # this node is fine; the warning is for the operator
    assert health["warnings"] == [
        "region ap has no live worker: its checks stopped and it is out of every quorum"
    ]
    assert health["engine"]["region"] == "eu"
    assert health["engine"]["live_regions"] == ["eu"]
    assert health["engine"]["silent_regions"] == ["ap"]

    await signup(client)
    created = await client.post("/api/v1/api-keys", json={"name": "Prometheus", "scope": "read"})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    metrics = await client.get("/metrics", headers={"Authorization": f"Bearer {key}"})
    assert metrics.status_code == 200, metrics.text
    assert 'statusping_engine_region_live{region="eu"} 1.0' in metrics.text
    assert 'statusping_engine_region_live{region="ap"} 0.0' in metrics.text

    # ap comes back: the warning goes.
    async with app.state.sessionmaker() as db, db.begin():
        await report_in(db, owner="a new ap worker", region="ap", now=datetime.now(UTC))

    async def cleared() -> bool:
        body = (await client.get("/api/health")).json()
        return body.get("warnings") == [] and sorted(body["engine"]["live_regions"]) == ["ap", "eu"]

    await eventually(cleared, within=20)
