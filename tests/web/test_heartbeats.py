"""Heartbeat monitors: the job pings us; silence past interval + grace is an outage."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import make_client
from tests.support import eventually, signup


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"mode": "selfhosted", "min_interval_seconds": 1}


async def create_heartbeat(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    await signup(client)
    body = {
        "name": "Nightly backup",
        "type": "heartbeat",
        "interval_seconds": 60,
        "grace_seconds": 30,
        **fields,
    }
    response = await client.post("/api/v1/monitors", json=body)
    assert response.status_code == 201, response.text
    monitor: dict[str, Any] = response.json()
    return monitor


def ping_path(monitor: dict[str, Any]) -> str:
    url: str = monitor["ping_url"]
    assert url.startswith("http://testserver/ping/")
    return url.removeprefix("http://testserver")


async def test_a_heartbeat_has_a_ping_url_and_a_ping_marks_it_up(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    monitor = await create_heartbeat(client)
    assert monitor["status"] == "pending"
    async with make_client(app) as cron_job:  # no session, no CSRF token: the URL is the secret
        for method in ("GET", "POST", "HEAD"):
            response = await cron_job.request(method, ping_path(monitor))
            assert response.status_code == 200
    after = (await client.get(f"/api/v1/monitors/{monitor['id']}")).json()
    assert after["status"] == "up"
    assert after["last_ping_at"] is not None
    assert len((await client.get(f"/api/v1/monitors/{monitor['id']}/results")).json()) == 3


async def test_fail_marks_it_down_at_once_and_the_next_ping_recovers(client: httpx.AsyncClient) -> None:
    monitor = await create_heartbeat(client)
    path = f"/api/v1/monitors/{monitor['id']}"
    assert (await client.post(ping_path(monitor))).status_code == 200
    assert (await client.get(path)).json()["status"] == "up"
    assert (await client.post(ping_path(monitor) + "/fail")).status_code == 200
    assert (await client.get(path)).json()["status"] == "down"
    (incident,) = (await client.get(f"{path}/incidents")).json()
    assert incident["resolved_at"] is None
    await client.get(ping_path(monitor))
    assert (await client.get(path)).json()["status"] == "up"
    (incident,) = (await client.get(f"{path}/incidents")).json()
    assert incident["resolved_at"] is not None


async def test_start_then_ping_records_how_long_the_job_ran(client: httpx.AsyncClient) -> None:
    monitor = await create_heartbeat(client)
    await client.get(ping_path(monitor) + "/start")
    await asyncio.sleep(0.2)
    await client.get(ping_path(monitor))
    (result,) = (await client.get(f"/api/v1/monitors/{monitor['id']}/results")).json()
    assert result["ok"] is True
    assert result["response_ms"] >= 200


async def test_an_unknown_ping_url_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/ping/no-such-token")
    assert response.status_code == 404


async def test_a_paused_heartbeat_ignores_pings(client: httpx.AsyncClient) -> None:
    monitor = await create_heartbeat(client)
    await client.post(f"/api/v1/monitors/{monitor['id']}/pause")
    assert (await client.get(ping_path(monitor))).status_code == 200
    assert (await client.get(f"/api/v1/monitors/{monitor['id']}/results")).json() == []


class TestWithTheEngine:
    @pytest.fixture
    def engine_enabled(self) -> bool:
        return True

    async def test_silence_past_interval_and_grace_is_a_missed_heartbeat(
        self, client: httpx.AsyncClient
    ) -> None:
        monitor = await create_heartbeat(client, interval_seconds=2, grace_seconds=1)
        await client.get(ping_path(monitor))
        path = f"/api/v1/monitors/{monitor['id']}"

        async def down() -> bool:
            return bool((await client.get(path)).json()["status"] == "down")

        await eventually(down, within=15)
        latest = (await client.get(f"{path}/results?limit=1")).json()[0]
        assert latest["error_kind"] == "heartbeat_missed"
        assert "no ping within 3 s" in latest["error"]
