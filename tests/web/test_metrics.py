"""/metrics as Prometheus scrapes it: an API key in the Authorization header, text that the
Prometheus parser reads, one organization's monitors only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import make_client
from tests.support import eventually, signup
from tests.web.test_api_keys import HEARTBEAT, bearer, business, new_key, set_plan


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(sample name, sorted labels) → value, from a parsed exposition."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def of(
    parsed: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, monitor_id: str
) -> dict[str, Any]:
    """The samples named ``name`` of one monitor, keyed by their extra label (or "")."""
    out: dict[str, Any] = {}
    for (sample, labels), value in parsed.items():
        found = dict(labels)
        if sample == name and found.get("monitor_id") == monitor_id:
            extra = {k: v for k, v in found.items() if k not in ("monitor_id", "name", "type")}
            out[next(iter(extra.values()), "")] = value
    return out


async def heartbeat(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    made = await client.post("/api/v1/monitors", json={**HEARTBEAT, "name": name})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


async def test_a_scrape_parses_and_shows_down_as_zero(app: FastAPI, client: httpx.AsyncClient) -> None:
    await business(app, client)
    healthy = await heartbeat(client, "Backups")
    broken = await heartbeat(client, 'Nightly "ETL"\\job\nline two')  # escaped by the library
    async with make_client(app) as pinger:
        assert (await pinger.post(healthy["ping_url"].removeprefix("http://testserver"))).status_code == 200
        failed = await pinger.post(broken["ping_url"].removeprefix("http://testserver") + "/fail")
        assert failed.status_code == 200
    key = (await new_key(client, "read", name="Prometheus"))["key"]
    async with make_client(app) as prometheus:
        scraped = await prometheus.get("/metrics", headers=bearer(key))
    assert scraped.status_code == 200, scraped.text
    assert scraped.headers["content-type"].startswith("text/plain")
    parsed = samples(scraped.text)
    assert of(parsed, "statusping_monitor_up", healthy["id"]) == {"": 1.0}
    assert of(parsed, "statusping_monitor_up", broken["id"]) == {"": 0.0}
    status = of(parsed, "statusping_monitor_status", broken["id"])
    assert status["down"] == 1.0
    assert sum(status.values()) == 1.0
    names = {dict(labels)["name"] for (_, labels) in parsed if dict(labels).get("monitor_id") == broken["id"]}
    assert names == {broken["name"]}
    assert '"' in broken["name"]
    assert "\\" in broken["name"]
    uptime = of(parsed, "statusping_monitor_uptime_ratio", healthy["id"])
    assert set(uptime) == {"24h", "7d", "30d"}
    assert uptime["24h"] == 1.0
    assert of(parsed, "statusping_monitor_uptime_ratio", broken["id"])["24h"] < 1.0
    assert of(parsed, "statusping_monitor_checks_24h", healthy["id"]) == {"": 1.0}
    assert of(parsed, "statusping_monitor_failures_24h", broken["id"]) == {"": 1.0}


async def test_another_organizations_monitors_never_appear(app: FastAPI, client: httpx.AsyncClient) -> None:
    await business(app, client, "Acme Inc")
    ours = await heartbeat(client, "Ours")
    key = (await new_key(client, "read"))["key"]
    async with make_client(app) as other:
        await business(app, other, "Globex")
        theirs = await heartbeat(other, "Theirs")
    async with make_client(app) as prometheus:
        text = (await prometheus.get("/metrics", headers=bearer(key))).text
    assert ours["id"] in text
    assert theirs["id"] not in text
    assert "Theirs" not in text


async def test_no_key_a_revoked_key_and_a_free_plan_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await business(app, client)
    created = await new_key(client, "read-write")
    async with make_client(app) as prometheus:
        assert (await prometheus.get("/metrics", headers=bearer(created["key"]))).status_code == 200
        anonymous = await prometheus.get("/metrics")
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"].startswith("Bearer")
        # A signed-in browser is not enough either: /metrics is for scrapers with a key.
        assert (await client.get("/metrics")).status_code == 401
        await set_plan(app, me["organization"]["slug"], "free")
        free = await prometheus.get("/metrics", headers=bearer(created["key"]))
        assert free.status_code == 403
        assert "Business plan" in free.json()["detail"]
        await set_plan(app, me["organization"]["slug"], "business")
        assert (await client.delete(f"/api/v1/api-keys/{created['id']}")).status_code == 204
        revoked = await prometheus.get("/metrics", headers=bearer(created["key"]))
        assert revoked.status_code == 401


class TestWithTheEngine:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"mode": "selfhosted"}

    @pytest.fixture
    def engine_enabled(self) -> bool:
        return True

    async def test_operators_see_the_engine_of_this_process(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await signup(client)
        key = (await new_key(client, "read"))["key"]
        async with make_client(app) as prometheus:

            async def engine_running() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
                # The embedded engine reports running once it holds the engine lease (SQLite) and
                # has re-slotted its backlog, a moment after the app starts.
                found = samples((await prometheus.get("/metrics", headers=bearer(key))).text)
                return found if found[("statusping_engine_running", ())] == 1.0 else None

            parsed = await eventually(engine_running, within=40)
        assert ("statusping_engine_checks_total", ()) in parsed
        assert ("statusping_engine_pending", ()) in parsed
