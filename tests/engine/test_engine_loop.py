"""The engine running inside the app, as `statusping serve` runs it, against real local targets."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import eventually, signup
from tests.targets import SwitchableTarget


@pytest.fixture
def engine_enabled() -> bool:
    return True


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"mode": "selfhosted", "min_interval_seconds": 1}


async def create(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "Shop", "type": "http", "interval_seconds": 2, "timeout_seconds": 1,
            "retry_interval_seconds": 2, **fields}  # fmt: skip
    response = await client.post("/api/v1/monitors", json=body)
    assert response.status_code == 201, response.text
    monitor: dict[str, Any] = response.json()
    return monitor


async def test_an_outage_is_confirmed_after_three_failures_and_resolved_on_recovery(
    client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client)
    monitor = await create(client, url=target.named_url)
    path = f"/api/v1/monitors/{monitor['id']}"

    async def status() -> str:
        return str((await client.get(path)).json()["status"])

    await eventually(lambda: _equals(status, "up"))
    (first,) = (await client.get(f"{path}/results?limit=1")).json()
    assert first["ok"] is True
    assert first["response_ms"] > 0
    for timing in ("dns_ms", "connect_ms", "ttfb_ms"):
        assert first["timings"][timing] is not None, timing

    target.status = 503

    async def failures() -> list[dict[str, Any]]:
        return [r for r in (await client.get(f"{path}/results")).json() if not r["ok"]]

    await eventually(failures)
    assert await status() == "up"  # one 503 is a blip, not an outage
    assert (await client.get(f"{path}/incidents")).json() == []

    await eventually(lambda: _equals(status, "down"))
    failed = await failures()
    assert len(failed) >= 3
    assert {r["error_kind"] for r in failed} == {"status"}
    (incident,) = (await client.get(f"{path}/incidents")).json()
    assert incident["resolved_at"] is None
    assert incident["started_at"] == failed[-1]["checked_at"]  # the first failure, oldest listed last

    target.status = 200
    await eventually(lambda: _equals(status, "up"))
    (incident,) = (await client.get(f"{path}/incidents")).json()
    assert incident["resolved_at"] is not None


async def test_a_target_that_never_answers_does_not_hold_up_its_neighbours(
    client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client)
    hung = await create(client, name="Hung", url=f"http://127.0.0.1:{target.port}/hang",
                        timeout_seconds=1.5)  # fmt: skip
    healthy = await create(client, name="Healthy", url=target.url)

    async def results(monitor: dict[str, Any]) -> list[dict[str, Any]]:
        response = await client.get(f"/api/v1/monitors/{monitor['id']}/results")
        rows: list[dict[str, Any]] = response.json()
        return rows

    async def enough() -> bool:
        return len(await results(healthy)) >= 4 and len(await results(hung)) >= 2

    await eventually(enough, within=30)
    hung_rows = await results(hung)
    assert {r["error_kind"] for r in hung_rows} == {"timeout"}
    healthy_rows = await results(healthy)
    assert all(r["ok"] for r in healthy_rows)
    # Each healthy check answered in less time than the hung one was allowed to take.
    assert max(r["response_ms"] for r in healthy_rows) < hung["timeout_seconds"] * 1000


async def test_health_reports_the_embedded_engine(client: httpx.AsyncClient) -> None:
    async def running() -> bool:
        return bool((await client.get("/api/health")).json()["engine"]["running"])

    await eventually(running)


async def _equals(get: Any, expected: str) -> bool:
    return bool(await get() == expected)
