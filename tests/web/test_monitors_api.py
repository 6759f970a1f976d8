"""The monitor API as a client uses it: validation, plan limits, scoping, check-now."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import make_client
from tests.support import signup
from tests.targets import SwitchableTarget

SELFHOSTED = {"mode": "selfhosted", "min_interval_seconds": 1}


def http_monitor(url: str, **extra: Any) -> dict[str, Any]:
    return {"name": "Shop", "type": "http", "url": url, "interval_seconds": 60, **extra}


class TestInSaasMode:
    async def test_a_monitor_is_created_listed_and_read_back(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        created = await client.post(
            "/api/v1/monitors",
            json=http_monitor("https://example.com/health", interval_seconds=300, keyword="OK"),
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["status"] == "pending"
        assert body["url"] == "https://example.com/health"
        assert body["expected_status"] == "200-299"
        assert body["failure_threshold"] == 3
        assert body["retry_interval_seconds"] == 20
        listed = await client.get("/api/v1/monitors")
        assert [m["id"] for m in listed.json()] == [body["id"]]
        assert listed.headers["X-Total-Count"] == "1"
        assert (await client.get(f"/api/v1/monitors/{body['id']}")).json()["keyword"] == "OK"

    async def test_the_free_plan_refuses_intervals_below_five_minutes(
        self, client: httpx.AsyncClient
    ) -> None:
        await signup(client)
        response = await client.post(
            "/api/v1/monitors", json=http_monitor("https://example.com", interval_seconds=60)
        )
        assert response.status_code == 422
        assert "at least 300 on the Free plan" in response.text

    async def test_the_free_plan_allows_five_monitors_and_names_the_plan_that_lifts_it(
        self, client: httpx.AsyncClient
    ) -> None:
        await signup(client)
        for n in range(5):
            created = await client.post(
                "/api/v1/monitors",
                json=http_monitor(f"https://example.com/{n}", interval_seconds=300),
            )
            assert created.status_code == 201
        sixth = await client.post(
            "/api/v1/monitors", json=http_monitor("https://example.com/6", interval_seconds=300)
        )
        assert sixth.status_code == 403
        assert sixth.json()["detail"] == "the Free plan allows 5 monitors; the Pro plan lifts it"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"type": "http", "name": "x", "url": "ftp://example.com", "interval_seconds": 300}, "url"),
            ({"type": "http", "name": "x", "url": "http://169.254.169.254/", "interval_seconds": 300}, "url"),
            ({"type": "http", "name": "x", "url": "http://10.0.0.5/", "interval_seconds": 300}, "url"),
            ({"type": "http", "name": "x", "url": "https://e.com", "interval_seconds": 300, "timeout_seconds": 300}, "timeout_seconds"),
            ({"type": "http", "name": "x", "url": "https://e.com", "interval_seconds": 300, "headers": {"a b": "c"}}, "headers"),
            ({"type": "http", "name": "x", "url": "https://e.com", "interval_seconds": 300, "port": 80}, "port"),
            ({"type": "tcp", "name": "x", "host": "example.com", "port": 70000, "interval_seconds": 300}, "port"),
            ({"type": "ping", "name": "x", "interval_seconds": 300}, "type"),
            ({"type": "http", "name": "", "url": "https://e.com", "interval_seconds": 300}, "name"),
            ({"type": "http", "name": "x", "url": "https://e.com", "interval_seconds": 300, "surprise": 1}, "surprise"),
            ({"type": "http", "name": "x", "url": "https://e.com", "interval_seconds": 300, "channel_ids": ["nope"]}, "channel_ids"),
        ],
    )  # fmt: skip
    async def test_bad_monitors_are_422_naming_the_field_and_nothing_is_created(
        self, client: httpx.AsyncClient, body: dict[str, Any], field: str
    ) -> None:
        await signup(client)
        response = await client.post("/api/v1/monitors", json=body)
        assert response.status_code == 422, response.text
        assert field in [e["loc"][-1] for e in response.json()["detail"]]
        assert (await client.get("/api/v1/monitors")).json() == []

    async def test_another_organizations_monitor_is_404_for_every_route(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await signup(client, organization="Owner Org")
        created = await client.post(
            "/api/v1/monitors", json=http_monitor("https://example.com", interval_seconds=300)
        )
        monitor_id = created.json()["id"]
        async with make_client(app) as outsider:
            await signup(outsider, organization="Outsider Org")
            for method, path in [
                ("GET", ""),
                ("PATCH", ""),
                ("DELETE", ""),
                ("POST", "/pause"),
                ("POST", "/resume"),
                ("POST", "/check"),
                ("GET", "/results"),
                ("GET", "/incidents"),
            ]:
                response = await outsider.request(
                    method, f"/api/v1/monitors/{monitor_id}{path}", json={} if method == "PATCH" else None
                )
                assert response.status_code == 404, (method, path)
            assert (await outsider.get("/api/v1/monitors")).json() == []
        assert (await client.get(f"/api/v1/monitors/{monitor_id}")).status_code == 200

    async def test_a_malformed_id_is_404(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        assert (await client.get("/api/v1/monitors/not-a-uuid")).status_code == 404

    async def test_monitors_need_a_session(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/v1/monitors")).status_code == 401


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {}


class TestSelfHosted:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return SELFHOSTED

    async def test_check_now_on_a_503_is_a_status_failure(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        target.status = 503
        monitor = (await client.post("/api/v1/monitors", json=http_monitor(target.url))).json()
        result = (await client.post(f"/api/v1/monitors/{monitor['id']}/check")).json()
        assert result["ok"] is False
        assert result["error_kind"] == "status"
        assert result["status_code"] == 503
        assert result["error"] == "expected 200-299, got 503 Service Unavailable"
        stored = (await client.get(f"/api/v1/monitors/{monitor['id']}/results")).json()
        assert stored[0]["checked_at"] == result["checked_at"]
        again = (await client.get(f"/api/v1/monitors/{monitor['id']}")).json()
        assert again["status"] == "pending"  # one failure confirms nothing

    async def test_check_now_without_the_keyword_is_a_keyword_failure(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        monitor = (
            await client.post("/api/v1/monitors", json=http_monitor(target.url, keyword="Checkout"))
        ).json()
        result = (await client.post(f"/api/v1/monitors/{monitor['id']}/check")).json()
        assert result["ok"] is False
        assert result["error_kind"] == "keyword"

    async def test_check_now_on_a_healthy_target_reports_timings(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        monitor = (
            await client.post("/api/v1/monitors", json=http_monitor(target.named_url, keyword="Welcome"))
        ).json()
        result = (await client.post(f"/api/v1/monitors/{monitor['id']}/check")).json()
        assert result["ok"] is True, result
        assert result["status_code"] == 200
        assert result["response_ms"] > 0
        assert result["timings"]["dns_ms"] is not None
        assert result["timings"]["connect_ms"] is not None
        assert result["timings"]["ttfb_ms"] is not None
        assert result["timings"]["tls_ms"] is None
        after = (await client.get(f"/api/v1/monitors/{monitor['id']}")).json()
        assert after["status"] == "up"
        assert after["last_response_ms"] == result["response_ms"]

    async def test_three_failed_checks_open_an_incident_and_a_success_resolves_it(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        monitor = (await client.post("/api/v1/monitors", json=http_monitor(target.url))).json()
        check = f"/api/v1/monitors/{monitor['id']}/check"
        await client.post(check)
        target.status = 500
        for expected in ("up", "up", "down"):
            await client.post(check)
            assert (await client.get(f"/api/v1/monitors/{monitor['id']}")).json()["status"] == expected
        (incident,) = (await client.get(f"/api/v1/monitors/{monitor['id']}/incidents")).json()
        assert incident["resolved_at"] is None
        assert incident["cause"] == "expected 200-299, got 500 Internal Server Error"
        results = (await client.get(f"/api/v1/monitors/{monitor['id']}/results")).json()
        first_failure = results[2]["checked_at"]
        assert incident["started_at"] == first_failure
        target.status = 200
        await client.post(check)
        (incident,) = (await client.get(f"/api/v1/monitors/{monitor['id']}/incidents")).json()
        assert incident["resolved_at"] is not None
        assert incident["duration_seconds"] > 0

    async def test_a_tcp_monitor_is_ok_on_an_open_port_and_a_connection_failure_on_a_closed_one(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        from tests.conftest import free_port

        await signup(client)
        ids = []
        for port in (target.port, free_port()):
            created = await client.post(
                "/api/v1/monitors",
                json={"name": f"tcp {port}", "type": "tcp", "host": "127.0.0.1", "port": port,
                      "interval_seconds": 60},
            )  # fmt: skip
            ids.append(created.json()["id"])
        open_result = (await client.post(f"/api/v1/monitors/{ids[0]}/check")).json()
        closed_result = (await client.post(f"/api/v1/monitors/{ids[1]}/check")).json()
        assert open_result["ok"] is True
        assert open_result["timings"]["connect_ms"] is not None
        assert closed_result["ok"] is False
        assert closed_result["error_kind"] == "connection"
        assert "refused" in closed_result["error"]

    async def test_pause_stops_the_schedule_and_resume_brings_it_back(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        monitor = (await client.post("/api/v1/monitors", json=http_monitor(target.url))).json()
        paused = (await client.post(f"/api/v1/monitors/{monitor['id']}/pause")).json()
        assert paused["status"] == "paused"
        result = (await client.post(f"/api/v1/monitors/{monitor['id']}/check")).json()
        assert result["ok"] is True
        assert (await client.get(f"/api/v1/monitors/{monitor['id']}/results")).json() == []
        resumed = (await client.post(f"/api/v1/monitors/{monitor['id']}/resume")).json()
        assert resumed["status"] == "pending"

    async def test_updates_are_validated_like_creation(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        monitor = (await client.post("/api/v1/monitors", json=http_monitor(target.url))).json()
        path = f"/api/v1/monitors/{monitor['id']}"
        assert (await client.patch(path, json={"url": "gopher://x"})).status_code == 422
        assert (await client.patch(path, json={"type": "tcp"})).status_code == 422
        assert (await client.patch(path, json={"timeout_seconds": 61})).status_code == 422
        changed = await client.patch(path, json={"name": "Renamed", "keyword": "Welcome"})
        assert changed.status_code == 200
        assert changed.json()["name"] == "Renamed"
        assert changed.json()["url"] == target.url  # untouched fields stay
        assert (await client.delete(path)).status_code == 204
        assert (await client.get(path)).status_code == 404


class TestResultsPaging:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return SELFHOSTED

    async def test_results_come_newest_first_and_until_pages_back(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        from urllib.parse import quote

        await signup(client)
        monitor = (await client.post("/api/v1/monitors", json=http_monitor(target.url))).json()
        for _ in range(3):
            await client.post(f"/api/v1/monitors/{monitor['id']}/check")
        path = f"/api/v1/monitors/{monitor['id']}/results"
        rows = (await client.get(path)).json()
        times = [r["checked_at"] for r in rows]
        assert times == sorted(times, reverse=True)
        assert len(times) == 3
        page = (await client.get(f"{path}?limit=1")).json()
        assert [r["checked_at"] for r in page] == times[:1]
        older = (await client.get(f"{path}?until={quote(times[0])}")).json()
        assert [r["checked_at"] for r in older] == times[1:]
        newer = (await client.get(f"{path}?since={quote(times[1])}")).json()
        assert [r["checked_at"] for r in newer] == times[:2]
        naive = await client.get(f"{path}?until=2026-01-01T00:00:00")
        assert naive.status_code == 422
        assert (await client.get(f"{path}?limit=0")).status_code == 422


class TestCheckNowHoldsNoLock:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return SELFHOSTED

    async def test_other_requests_go_through_while_a_check_now_waits_on_a_slow_target(
        self, app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        import asyncio

        await signup(client)
        slow = (
            await client.post("/api/v1/monitors", json=http_monitor(target.url, timeout_seconds=5))
        ).json()
        target.delay = 2.0
        finished: list[str] = []

        async def check() -> None:
            response = await client.post(f"/api/v1/monitors/{slow['id']}/check")
            assert response.json()["ok"] is True
            finished.append("check")

        async def meanwhile() -> None:
            await asyncio.sleep(0.3)  # the check is now waiting on the target
            created = await client.post("/api/v1/monitors", json=http_monitor("http://127.0.0.1:9/other"))
            assert created.status_code == 201
            assert (await client.get("/api/health")).status_code == 200
            finished.append("others")

        await asyncio.gather(check(), meanwhile())
        # A write and a read completed while the check was still waiting on its target.
        assert finished == ["others", "check"]


class TestCheckNowIsRateLimited:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return SELFHOSTED

    async def test_the_31st_check_now_in_ten_minutes_is_a_429_that_says_when_and_reaches_no_target(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        monitor = (await client.post("/api/v1/monitors", json=http_monitor(target.url))).json()
        check = f"/api/v1/monitors/{monitor['id']}/check"
        for _ in range(30):
            assert (await client.post(check)).status_code == 200
        hits = sum(target.hits.values())
        refused = await client.post(check)
        assert refused.status_code == 429
        assert refused.json()["detail"] == "Too many on-demand checks of this monitor. Try again later."
        assert 0 < int(refused.headers["Retry-After"]) <= 600
        assert sum(target.hits.values()) == hits
        # The limit is per monitor: another one can still be checked now.
        other = (await client.post("/api/v1/monitors", json=http_monitor(target.url))).json()
        assert (await client.post(f"/api/v1/monitors/{other['id']}/check")).status_code == 200
