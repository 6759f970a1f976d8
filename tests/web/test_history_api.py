"""Uptime, stats and maintenance windows through the API, on a real engine and real targets."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support import eventually, signup
from tests.targets import SwitchableTarget

SELFHOSTED = {"mode": "selfhosted", "min_interval_seconds": 1}


async def create(client: httpx.AsyncClient, url: str, **fields: Any) -> dict[str, Any]:
    body = {"name": "Shop", "type": "http", "url": url, "interval_seconds": 2, "timeout_seconds": 1,
            "retry_interval_seconds": 1, "failure_threshold": 2, **fields}  # fmt: skip
    response = await client.post("/api/v1/monitors", json=body)
    assert response.status_code == 201, response.text
    monitor: dict[str, Any] = response.json()
    return monitor


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


class TestWithTheEngine:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return SELFHOSTED

    @pytest.fixture
    def engine_enabled(self) -> bool:
        return True

    async def test_uptime_is_weighted_by_time_over_a_real_outage(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        monitor = await create(client, target.url)
        path = f"/api/v1/monitors/{monitor['id']}"
        await asyncio.sleep(6)
        target.status = 500

        async def down() -> bool:
            return bool((await client.get(path)).json()["status"] == "down")

        await eventually(down)
        await asyncio.sleep(6)
        target.status = 200

        async def up() -> bool:
            return bool((await client.get(path)).json()["status"] == "up")

        await eventually(up)
        await asyncio.sleep(6)

        async def stored() -> int:
            return len((await client.get(f"{path}/results?limit=500")).json())

        # The engine keeps checking while we read, so counts are bracketed by before and after.
        before = await stored()
        report = (await client.get(f"{path}/uptime")).json()
        now = datetime.now(UTC)
        stats = (await client.get(f"{path}/stats?window=24h")).json()
        after = await stored()
        (incident,) = (await client.get(f"{path}/incidents")).json()
        # The true figure from what was stored: downtime from the first failed check to the
        # recovering one, over the time since the monitor was created.
        downtime = (parse(incident["resolved_at"]) - parse(incident["started_at"])).total_seconds()
        monitored = (now - parse(monitor["created_at"])).total_seconds()
        expected = 100 * (1 - downtime / monitored)
        assert report["24h"]["uptime"] == pytest.approx(expected, abs=3)
        assert 50 < report["24h"]["uptime"] < 95
        for window in ("7d", "30d", "90d", "365d"):
            assert report[window] is not None, window
            assert report[window]["uptime"] == pytest.approx(report["24h"]["uptime"], abs=0.5)
        assert before <= report["24h"]["checks"] <= stats["checks"] <= after
        assert report["24h"]["avg_response_ms"] > 0

        assert stats["bucket_seconds"] == 3600
        assert len(stats["buckets"]) <= 25
        assert stats["incidents"]["count"] == 1
        assert stats["incidents"]["mttr_seconds"] == pytest.approx(downtime, abs=0.5)
        assert stats["response_ms"]["p95_ms"] is not None
        current = [b for b in stats["buckets"] if b["checks"]]
        assert current
        assert current[-1]["timings"]["connect_ms"] is not None

    async def test_inside_a_maintenance_window_a_failing_target_is_never_down(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        monitor = await create(client, target.url)
        path = f"/api/v1/monitors/{monitor['id']}"
        now = datetime.now(UTC)
        window = await client.post(
            "/api/v1/maintenances",
            json={"title": "Database upgrade", "starts_at": now.isoformat(),
                  "ends_at": (now + timedelta(hours=1)).isoformat(), "monitor_ids": [monitor["id"]]},
        )  # fmt: skip
        assert window.status_code == 201, window.text
        assert window.json()["active"] is True
        target.status = 503

        async def failures() -> int:
            rows = (await client.get(f"{path}/results")).json()
            return sum(1 for r in rows if not r["ok"])

        async def several_failures() -> bool:
            return await failures() >= 4

        await eventually(several_failures)
        shown = (await client.get(path)).json()
        assert shown["status"] == "maintenance"
        assert (await client.get(f"{path}/incidents")).json() == []
        report = (await client.get(f"{path}/uptime")).json()
        assert report["24h"]["uptime"] == 100.0  # maintenance is left out of uptime

        # The window ends: the same failures now confirm an outage.
        await client.delete(f"/api/v1/maintenances/{window.json()['id']}")

        async def down() -> bool:
            return bool((await client.get(path)).json()["status"] == "down")

        await eventually(down)
        assert len((await client.get(f"{path}/incidents")).json()) == 1


class TestPlans:
    async def test_windows_beyond_the_free_plans_history_are_null(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        monitor = (
            await client.post(
                "/api/v1/monitors",
                json={"name": "x", "type": "http", "url": "https://example.com", "interval_seconds": 300},
            )
        ).json()
        report = (await client.get(f"/api/v1/monitors/{monitor['id']}/uptime")).json()
        assert report["24h"] is not None
        assert report["24h"]["checks"] == 0
        assert report["7d"] is None
        assert report["365d"] is None
        stats = await client.get(f"/api/v1/monitors/{monitor['id']}/stats?window=30d")
        assert stats.status_code == 403
        assert "Pro plan lifts it" in stats.json()["detail"]
        assert (await client.get(f"/api/v1/monitors/{monitor['id']}/stats?window=1y")).status_code == 422

    async def test_maintenance_windows_need_the_business_plan(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        now = datetime.now(UTC)
        response = await client.post(
            "/api/v1/maintenances",
            json={
                "title": "x",
                "starts_at": now.isoformat(),
                "ends_at": (now + timedelta(hours=1)).isoformat(),
            },
        )
        assert response.status_code == 403
        assert "Business plan" in response.json()["detail"]


class TestMaintenanceApi:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return SELFHOSTED

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"ends_at": "2026-01-01T00:00:00Z"}, "ends_at"),
            ({"recurrence": "FREQ=MINUTELY"}, "recurrence"),
            ({"monitor_ids": ["not-a-monitor"]}, "monitor_ids"),
            ({"monitor_ids": []}, "monitor_ids"),
            ({"title": ""}, "title"),
            ({"starts_at": "yesterday"}, "starts_at"),
        ],
    )
    async def test_bad_windows_are_422_naming_the_field(
        self, client: httpx.AsyncClient, change: dict[str, Any], field: str
    ) -> None:
        await signup(client)
        body = {
            "title": "Upgrade",
            "starts_at": "2026-12-01T02:00:00Z",
            "ends_at": "2026-12-01T04:00:00Z",
            **change,
        }
        response = await client.post("/api/v1/maintenances", json=body)
        assert response.status_code == 422, response.text
        assert field in [e["loc"][-1] for e in response.json()["detail"]]
        assert (await client.get("/api/v1/maintenances")).json() == []

    async def test_a_weekly_window_reports_its_next_occurrence_and_can_be_edited(
        self, client: httpx.AsyncClient
    ) -> None:
        await signup(client)
        created = await client.post(
            "/api/v1/maintenances",
            json={"title": "Sunday backups", "starts_at": "2026-11-01T02:00:00Z",
                  "ends_at": "2026-11-01T03:00:00Z", "recurrence": "weekly"},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["recurrence"] == "FREQ=WEEKLY"
        start, end = parse(body["next_window"]["starts_at"]), parse(body["next_window"]["ends_at"])
        assert start.weekday() == 6  # a Sunday
        assert start > datetime.now(UTC) - timedelta(hours=1)
        assert (end - start) == timedelta(hours=1)
        changed = await client.patch(
            f"/api/v1/maintenances/{body['id']}",
            json={
                "title": "Backups",
                "starts_at": "2026-11-01T04:00:00+02:00",
                "ends_at": "2026-11-01T05:00:00+02:00",
            },
        )
        assert changed.json()["title"] == "Backups"
        assert changed.json()["starts_at"] == "2026-11-01T02:00:00Z"  # times come back in UTC
        assert (await client.get(f"/api/v1/maintenances/{body['id']}")).status_code == 200

    async def test_another_organizations_window_is_404(self, app: Any, client: httpx.AsyncClient) -> None:
        from tests.conftest import make_client

        await signup(client)
        created = await client.post(
            "/api/v1/maintenances",
            json={"title": "Mine", "starts_at": "2026-12-01T02:00:00Z", "ends_at": "2026-12-01T04:00:00Z"},
        )
        maintenance_id = created.json()["id"]
        async with make_client(app) as outsider:
            await signup(outsider, organization="Outsider")
            for method in ("GET", "PATCH", "DELETE"):
                response = await outsider.request(
                    method, f"/api/v1/maintenances/{maintenance_id}", json={} if method == "PATCH" else None
                )
                assert response.status_code == 404
            assert (await outsider.get("/api/v1/maintenances")).json() == []
