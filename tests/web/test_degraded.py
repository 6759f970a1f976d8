"""Degraded performance, end to end: a real engine checks a local target whose delay the test turns
up and down; the monitor goes degraded and back on the API, dashboard, status page, summary.json and
badge, and each change sends its own alert."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.support import SmtpSink, eventually, signup
from tests.targets import SwitchableTarget


@pytest.fixture
def settings_overrides(smtp_sink: SmtpSink) -> dict[str, object]:
    return {
        "mode": "selfhosted",
        "min_interval_seconds": 1,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_sink.port,
        "smtp_starttls": False,
    }


@pytest.fixture
def engine_enabled() -> bool:
    return True


async def watched(client: httpx.AsyncClient, target: SwitchableTarget, **extra: Any) -> dict[str, Any]:
    await signup(client, organization="Slowpoke Inc")
    channel = await client.post(
        "/api/v1/channels", json={"name": "Ops", "kind": "email", "config": {"to": ["ops@example.com"]}}
    )
    assert channel.status_code == 201, channel.text
    response = await client.post(
        "/api/v1/monitors",
        json={
            "name": "Checkout",
            "type": "http",
            "url": target.url,
            "interval_seconds": 1,
            "timeout_seconds": 0.9,
            "retry_interval_seconds": 1,
            "failure_threshold": 2,
            "degraded_ms": 250,
            "public": True,
            "channel_ids": [channel.json()["id"]],
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    monitor: dict[str, Any] = response.json()
    assert monitor["degraded_ms"] == 250
    assert monitor["degraded_alerts"] is extra.get("degraded_alerts", True)
    return monitor


async def status_of(client: httpx.AsyncClient, monitor: dict[str, Any]) -> str:
    status: str = (await client.get(f"/api/v1/monitors/{monitor['id']}")).json()["status"]
    return status


async def wait_for_status(client: httpx.AsyncClient, monitor: dict[str, Any], wanted: str) -> None:
    async def reached() -> bool:
        return await status_of(client, monitor) == wanted

    await eventually(reached, within=20)


async def test_a_slowed_target_turns_degraded_everywhere_and_clears_when_fast_again(
    client: httpx.AsyncClient, target: SwitchableTarget, smtp_sink: SmtpSink
) -> None:
    monitor = await watched(client, target)
    await wait_for_status(client, monitor, "up")
    slug = (await client.get("/api/v1/me")).json()["organization"]["slug"]

    target.delay = 0.4  # slower than 250 ms, faster than the 0.9 s timeout: up, but degraded
    await wait_for_status(client, monitor, "degraded")

    dashboard = await client.get("/dashboard?status=degraded")
    row = re.search(rf'<tr data-monitor-id="{monitor["id"]}" data-status="([a-z]+)"', dashboard.text)
    assert row is not None
    assert row.group(1) == "degraded"
    page = (await client.get(f"/s/{slug}")).text
    assert re.search(r'<div id="overall-status"[^>]*data-status="degraded"', page)
    assert "Degraded performance" in page
    summary = (await client.get(f"/s/{slug}/api/v2/summary.json")).json()
    assert summary["components"][0]["status"] == "degraded_performance"
    assert summary["status"]["indicator"] == "minor"
    assert summary["incidents"] == []  # slow is not an outage
    badge = (await client.get(f"/badge/{monitor['id']}/status.svg")).text
    assert "degraded" in badge
    monitor_page = (await client.get(f"/monitors/{monitor['id']}")).text
    assert "Slower than 250 ms" in monitor_page
    (alert,) = await smtp_sink.wait_for(1, within=20)
    assert str(alert["Subject"]).startswith("[DEGRADED] Checkout")

    target.delay = 0
    await wait_for_status(client, monitor, "up")
    summary = (await client.get(f"/s/{slug}/api/v2/summary.json")).json()
    assert summary["components"][0]["status"] == "operational"
    assert summary["status"]["indicator"] == "none"
    assert 'data-status="degraded"' not in (await client.get(f"/s/{slug}")).text
    _, cleared = await smtp_sink.wait_for(2, within=20)
    assert str(cleared["Subject"]).startswith("[FAST AGAIN] Checkout")
    # Degraded checks were successful checks: uptime stays whole, no incident was opened.
    uptime = (await client.get(f"/api/v1/monitors/{monitor['id']}/uptime")).json()
    assert uptime["24h"]["uptime"] == 100.0
    assert (await client.get(f"/api/v1/monitors/{monitor['id']}/incidents")).json() == []


async def test_degraded_alerts_can_be_turned_off_and_the_threshold_removed(
    client: httpx.AsyncClient, target: SwitchableTarget, smtp_sink: SmtpSink
) -> None:
    monitor = await watched(client, target, degraded_alerts=False)
    target.delay = 0.4
    await wait_for_status(client, monitor, "degraded")
    response = await client.patch(f"/api/v1/monitors/{monitor['id']}", json={"degraded_ms": None})
    assert response.status_code == 200, response.text
    assert response.json()["degraded_ms"] is None
    await wait_for_status(client, monitor, "up")  # no threshold: slow is just up
    assert smtp_sink.messages == []


@pytest.mark.parametrize("value", [0, -5, 86_400_001, "fast", 1.5])
async def test_a_bad_threshold_is_a_422_naming_the_field(
    client: httpx.AsyncClient, target: SwitchableTarget, value: object
) -> None:
    await signup(client)
    response = await client.post(
        "/api/v1/monitors",
        json={"name": "X", "type": "http", "url": target.url, "interval_seconds": 60, "degraded_ms": value},
    )
    assert response.status_code == 422, response.text
    assert "degraded_ms" in str(response.json()["detail"])
