"""The public status page and its JSON twins tell the truth about public monitors, and only those."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from tests.conftest import free_port, make_client
from tests.support import signup
from tests.targets import SwitchableTarget

SUMMARY_KEYS = {"page", "components", "incidents", "scheduled_maintenances", "status"}
COMPONENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
    "start_date", "group_id", "page_id", "group", "only_show_if_degraded",
}  # fmt: skip
INCIDENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
    "shortlink", "started_at", "page_id", "incident_updates", "components",
}  # fmt: skip
STATUSPAGE_PATHS = [
    "summary.json",
    "status.json",
    "components.json",
    "incidents.json",
    "incidents/unresolved.json",
    "scheduled-maintenances.json",
]


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """SaaS rules (free plan), with the local test targets reachable."""
    return {"allow_private_targets": True}


async def _slug(client: httpx.AsyncClient) -> str:
    slug: str = (await client.get("/api/v1/me")).json()["organization"]["slug"]
    return slug


async def _monitor(client: httpx.AsyncClient, name: str, *, public: bool, port: int, **extra: Any) -> str:
    """A TCP monitor that confirms an outage on the first failed check."""
    response = await client.post(
        "/api/v1/monitors",
        json={"name": name, "type": "tcp", "host": "127.0.0.1", "port": port, "interval_seconds": 300,
              "failure_threshold": 1, "public": public, **extra},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    monitor_id: str = response.json()["id"]
    return monitor_id


async def _check(client: httpx.AsyncClient, monitor_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/monitors/{monitor_id}/check")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _banner(html: str) -> str:
    found = re.search(r'<div id="overall-status"[^>]*>', html)
    assert found, html
    return found.group(0)


def _component(html: str, monitor_id: str) -> str:
    found = re.search(rf'<li [^>]*data-component-id="{monitor_id}"[^>]*>', html)
    assert found, f"component {monitor_id} not on the page"
    return found.group(0)


class TestThePage:
    async def test_a_down_public_monitor_shows_a_major_outage_within_one_check(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client, organization="Truthful Co")
        api = await _monitor(client, "Public API", public=True, port=free_port())
        slug = await _slug(client)

        result = await _check(client, api)
        assert result["ok"] is False
        assert result["error_kind"] == "connection"
        page = await client.get(f"/s/{slug}")

        assert page.status_code == 200
        assert "All systems operational" not in page.text
        banner = _banner(page.text)
        assert 'data-status="major_outage"' in banner
        assert "bg-red-600" in banner
        assert 'data-status="major_outage"' in _component(page.text, api)
        assert "Public API is unavailable" in page.text  # the active incident
        assert "refused" not in page.text  # the technical cause stays private

    async def test_one_of_two_public_monitors_down_is_a_partial_outage(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        down = await _monitor(client, "Checkout", public=True, port=free_port())
        up = await _monitor(client, "Website", public=True, port=target.port)
        slug = await _slug(client)
        await _check(client, down)
        await _check(client, up)

        page = (await client.get(f"/s/{slug}")).text

        assert 'data-status="partial_outage"' in _banner(page)
        assert 'data-status="operational"' in _component(page, up)
        assert 'data-status="major_outage"' in _component(page, down)

    async def test_private_and_paused_monitors_never_appear(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        shown = await _monitor(client, "Website", public=True, port=target.port)
        secret = await _monitor(client, "Secret billing database", public=False, port=free_port())
        paused = await _monitor(client, "Old paused thing", public=True, port=target.port)
        await client.post(f"/api/v1/monitors/{paused}/pause")
        await _check(client, shown)
        await _check(client, secret)  # down, but nobody outside may know
        slug = await _slug(client)

        surfaces = [f"/s/{slug}", f"/s/{slug}/api"] + [f"/s/{slug}/api/v2/{p}" for p in STATUSPAGE_PATHS]
        for path in surfaces:
            body = (await client.get(path)).text
            for never in (secret, "Secret billing", paused, "Old paused thing"):
                assert never not in body, (path, never)
            if path.endswith(("/api", "summary.json", "components.json")) or path == f"/s/{slug}":
                assert shown in body, path
        assert 'data-status="operational"' in _banner((await client.get(f"/s/{slug}")).text)

    async def test_each_component_has_a_90_day_bar_with_a_tooltip_per_day(
        self, client: httpx.AsyncClient
    ) -> None:
        await signup(client)
        api = await _monitor(client, "API", public=True, port=free_port())
        await _check(client, api)
        slug = await _slug(client)

        page = (await client.get(f"/s/{slug}")).text
        cells = re.findall(r'<li title="([^"]*)" data-level="(\w+)"', page)
        assert len(cells) == 90
        today = datetime.now(UTC).strftime("%-d %b %Y")
        last_title, last_level = cells[-1]
        assert last_title.startswith(f"{today}: ")
        assert "1 incident" in last_title
        assert last_level != "up"
        assert cells[0] == (cells[0][0], "none")  # before the monitor existed: no data
        assert "<details" in page
        assert "Uptime and daily history" in page
        days = (await client.get(f"/s/{slug}/api")).json()["components"][0]["days"]
        assert len(days) == 90
        assert days[-1]["incidents"] == 1
        assert days[-1]["downtime_seconds"] >= 0

    async def test_an_unknown_slug_is_a_real_404_everywhere(self, client: httpx.AsyncClient) -> None:
        page = await client.get("/s/nobody-here")
        assert page.status_code == 404
        assert "no status page at this address" in page.text
        for path in ["/s/nobody-here/api", "/s/nobody-here/api/v2/summary.json"]:
            response = await client.get(path)
            assert response.status_code == 404, path
            assert response.json() == {"detail": "there is no status page at this address"}

    async def test_the_page_is_the_same_bytes_for_everyone_and_answers_304(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        monitor = await _monitor(client, "Website", public=True, port=target.port)
        await _check(client, monitor)
        slug = await _slug(client)

        for path in [f"/s/{slug}", f"/s/{slug}/api", f"/s/{slug}/api/v2/summary.json"]:
            first = await client.get(path)
            assert "set-cookie" not in first.headers  # cacheable by a shared cache
            cache = first.headers["cache-control"]
            assert "public" in cache
            assert "max-age=" in cache
            assert "stale-while-revalidate=" in cache
            etag = first.headers["etag"]
            again = await client.get(path, headers={"If-None-Match": etag})
            assert again.status_code == 304, path
            assert again.content == b""
            other = await client.get(path, headers={"If-None-Match": '"something-else"'})
            assert other.status_code == 200

        before = (await client.get(f"/s/{slug}")).headers["etag"]
        target_port_closed = await _monitor(client, "Checkout", public=True, port=free_port())
        await _check(client, target_port_closed)
        changed = await client.get(f"/s/{slug}", headers={"If-None-Match": before})
        assert changed.status_code == 200  # a new outage is never hidden behind a 304

    async def test_rendering_costs_the_same_queries_for_one_component_or_five(
        self, app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client, organization="Many Components")
        slug = await _slug(client)
        statements: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        async def queries_for_page() -> int:
            statements.clear()
            event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
            try:
                assert (await client.get(f"/s/{slug}")).status_code == 200
            finally:
                event.remove(app.state.engine.sync_engine, "before_cursor_execute", count)
            return len(statements)

        first = await _monitor(client, "One", public=True, port=target.port)
        await _check(client, first)
        with_one = await queries_for_page()
        for n in range(4):
            await _check(client, await _monitor(client, f"More {n}", public=True, port=free_port()))
        with_five = await queries_for_page()

        assert with_five == with_one
        assert with_one <= 10


class TestStatuspageCompatibleJson:
    async def test_summary_has_statuspages_shape_and_flips_when_a_monitor_goes_down(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client, organization="Json Co")
        monitor = await _monitor(client, "Website", public=True, port=target.port)
        await _check(client, monitor)
        slug = await _slug(client)

        summary = (await client.get(f"/s/{slug}/api/v2/summary.json")).json()
        assert set(summary) == SUMMARY_KEYS
        assert set(summary["page"]) == {"id", "name", "url", "time_zone", "updated_at"}
        assert summary["page"]["name"] == "Json Co"
        assert summary["page"]["url"] == f"http://testserver/s/{slug}"
        assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}
        (component,) = summary["components"]
        assert set(component) == COMPONENT_KEYS
        assert component["id"] == monitor
        assert component["status"] == "operational"
        assert component["page_id"] == summary["page"]["id"]
        assert component["group"] is False
        assert summary["incidents"] == []

        await client.patch(f"/api/v1/monitors/{monitor}", json={"port": free_port()})
        await _check(client, monitor)

        summary = (await client.get(f"/s/{slug}/api/v2/summary.json")).json()
        assert summary["status"] == {"indicator": "critical", "description": "Major System Outage"}
        assert summary["components"][0]["status"] == "major_outage"
        (incident,) = summary["incidents"]
        assert set(incident) == INCIDENT_KEYS
        assert incident["status"] == "investigating"
        assert incident["impact"] == "major"
        (update,) = incident["incident_updates"]
        assert update["status"] == "investigating"
        assert update["incident_id"] == incident["id"]
        assert [c["id"] for c in incident["components"]] == [monitor]

        status = (await client.get(f"/s/{slug}/api/v2/status.json")).json()
        assert status == {"page": summary["page"], "status": summary["status"]}
        unresolved = (await client.get(f"/s/{slug}/api/v2/incidents/unresolved.json")).json()
        assert [i["id"] for i in unresolved["incidents"]] == [incident["id"]]

        await client.patch(f"/api/v1/monitors/{monitor}", json={"port": target.port})
        await _check(client, monitor)
        incidents = (await client.get(f"/s/{slug}/api/v2/incidents.json")).json()["incidents"]
        assert incidents[0]["status"] == "resolved"
        assert incidents[0]["resolved_at"] is not None
        assert [u["status"] for u in incidents[0]["incident_updates"]] == ["resolved", "investigating"]
        assert (await client.get(f"/s/{slug}/api/v2/incidents/unresolved.json")).json()["incidents"] == []
        assert (await client.get(f"/s/{slug}/api/v2/summary.json")).json()["status"]["indicator"] == "none"
        # The page's recent incidents link to it in the history, where it has an anchor, as the feed does.
        link = f"/s/{slug}/history?month={incidents[0]['started_at'][:7]}#incident-{incident['id']}"
        assert f'href="{link}"' in (await client.get(f"/s/{slug}")).text
        history = (await client.get(link.split("#")[0])).text
        assert f'id="incident-{incident["id"]}"' in history

    async def test_every_endpoint_answers_with_the_page_and_its_list(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        await _check(client, await _monitor(client, "Website", public=True, port=target.port))
        slug = await _slug(client)
        expected = {
            "components.json": "components",
            "incidents.json": "incidents",
            "incidents/unresolved.json": "incidents",
            "scheduled-maintenances.json": "scheduled_maintenances",
        }
        for path, key in expected.items():
            response = await client.get(f"/s/{slug}/api/v2/{path}")
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith("application/json")
            assert response.headers["access-control-allow-origin"] == "*"
            assert set(response.json()) == {"page", key}, path


@pytest.mark.parametrize("settings_overrides", [{"mode": "selfhosted"}])
async def test_groups_display_names_and_maintenance_show_as_configured(
    client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client)
    web = await _monitor(client, "web-01 http", public=True, port=target.port)
    db = await _monitor(client, "pg primary", public=True, port=target.port)
    hidden = await _monitor(client, "also public, not chosen", public=True, port=target.port)
    for monitor in (web, db, hidden):
        await _check(client, monitor)
    (page,) = (await client.get("/api/v1/status-pages")).json()
    updated = await client.patch(
        f"/api/v1/status-pages/{page['id']}",
        json={"title": "Acme status", "description": "Our services",
              "components": [{"monitor_id": db, "display_name": "Database", "group": "Backend"},
                             {"monitor_id": web, "display_name": "Website"}]},
    )  # fmt: skip
    assert updated.status_code == 200, updated.text
    now = datetime.now(UTC)
    window = await client.post(
        "/api/v1/maintenances",
        json={"title": "Database upgrade", "starts_at": (now - timedelta(minutes=5)).isoformat(),
              "ends_at": (now + timedelta(hours=1)).isoformat(), "monitor_ids": [db]},
    )  # fmt: skip
    assert window.status_code == 201, window.text

    html = (await client.get(f"/s/{page['slug']}")).text
    assert "Acme status" in html
    assert "Our services" in html
    assert html.index("Database") < html.index("Website")
    assert 'data-group="Backend"' in html
    assert hidden not in html
    assert "pg primary" not in html
    assert 'data-status="under_maintenance"' in _component(html, db)
    assert 'data-status="maintenance"' in _banner(html)
    assert "Database upgrade" in html
    components = (await client.get(f"/s/{page['slug']}/api/v2/components.json")).json()["components"]
    group, database, website = components
    assert group["group"] is True
    assert group["name"] == "Backend"
    assert group["components"] == [db]
    assert database["group_id"] == group["id"]
    assert database["status"] == "under_maintenance"
    assert website["group_id"] is None
    assert website["name"] == "Website"
    maintenances = (await client.get(f"/s/{page['slug']}/api/v2/scheduled-maintenances.json")).json()
    (maintenance,) = maintenances["scheduled_maintenances"]
    assert maintenance["status"] == "in_progress"
    assert maintenance["impact"] == "maintenance"
    assert maintenance["scheduled_for"]
    assert maintenance["scheduled_until"]
    summary = (await client.get(f"/s/{page['slug']}/api/v2/summary.json")).json()
    assert summary["status"]["indicator"] == "maintenance"


class TestManagementApi:
    async def test_the_org_lists_reads_and_edits_its_page(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client, organization="Editors")
        monitor = await _monitor(client, "Website", public=True, port=target.port)
        (page,) = (await client.get("/api/v1/status-pages")).json()
        assert page["slug"] == await _slug(client)
        assert page["url"].endswith(f"/s/{page['slug']}")
        assert page["components"] == []

        response = await client.patch(
            f"/api/v1/status-pages/{page['id']}",
            json={"components": [{"monitor_id": monitor, "display_name": "Shop", "group": "Public"}]},
        )
        assert response.status_code == 200, response.text
        body = (await client.get(f"/api/v1/status-pages/{page['id']}")).json()
        assert body["components"] == [
            {"monitor_id": monitor, "name": "Shop", "display_name": "Shop", "group": "Public", "position": 0}
        ]
        assert body["title"] == "Editors"

    async def test_bad_input_is_a_422_and_changes_nothing(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        public = await _monitor(client, "Website", public=True, port=target.port)
        private = await _monitor(client, "Internal", public=False, port=target.port)
        (page,) = (await client.get("/api/v1/status-pages")).json()
        url = f"/api/v1/status-pages/{page['id']}"
        bad_bodies = [
            {"title": ""},
            {"title": "x" * 121},
            {"slug": "api"},
            {"components": [{"monitor_id": private}]},
            {"components": [{"monitor_id": "not-a-uuid"}]},
            {"components": [{"monitor_id": public}, {"monitor_id": public}]},
            {"components": [{"monitor_id": public, "colour": "red"}]},
        ]
        for body in bad_bodies:
            response = await client.patch(url, json=body)
            assert response.status_code == 422, (body, response.text)
            assert "detail" in response.json()
        after = (await client.get(url)).json()
        assert after["title"] == page["title"]
        assert after["components"] == []

    async def test_another_organizations_page_and_monitors_are_out_of_reach(
        self, app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client, organization="First")
        (mine,) = (await client.get("/api/v1/status-pages")).json()
        my_monitor = await _monitor(client, "Mine", public=True, port=target.port)
        async with make_client(app) as other:
            await signup(other, organization="Second")
            (theirs,) = (await other.get("/api/v1/status-pages")).json()
            assert (await other.get(f"/api/v1/status-pages/{mine['id']}")).status_code == 404
            assert (
                await other.patch(f"/api/v1/status-pages/{mine['id']}", json={"title": "x"})
            ).status_code == 404
            borrowed = await other.patch(
                f"/api/v1/status-pages/{theirs['id']}", json={"components": [{"monitor_id": my_monitor}]}
            )
            assert borrowed.status_code == 422
            assert "unknown monitor id" in borrowed.text
        assert (await client.get("/api/v1/status-pages/not-an-id")).status_code == 404
        assert (await client.get(f"/api/v1/status-pages/{mine['id']}")).json()["title"] == "First"

    async def test_it_needs_a_signed_in_user(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/v1/status-pages")).status_code == 401
