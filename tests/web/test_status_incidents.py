"""Communication incidents: the owner posts, the public page, its JSON and its history tell them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from statusping.storage.models import StatusIncident, StatusIncidentUpdate
from tests.conftest import free_port, make_client
from tests.support import signup
from tests.targets import SwitchableTarget

INCIDENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
    "shortlink", "started_at", "page_id", "incident_updates", "components",
}  # fmt: skip
UPDATE_KEYS = {
    "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
    "affected_components", "deliver_notifications", "custom_tweet", "tweet_id",
}  # fmt: skip


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"allow_private_targets": True}


async def _page(client: httpx.AsyncClient) -> dict[str, Any]:
    (page,) = (await client.get("/api/v1/status-pages")).json()
    assert isinstance(page, dict)
    return page


async def _monitor(client: httpx.AsyncClient, name: str, *, public: bool, port: int) -> str:
    response = await client.post(
        "/api/v1/monitors",
        json={"name": name, "type": "tcp", "host": "127.0.0.1", "port": port, "interval_seconds": 300,
              "failure_threshold": 1, "public": public},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    monitor_id: str = response.json()["id"]
    assert (await client.post(f"/api/v1/monitors/{monitor_id}/check")).status_code == 200
    return monitor_id


async def _post(client: httpx.AsyncClient, page_id: str, **body: Any) -> httpx.Response:
    fields = {"title": "Checkout is slow", "status": "investigating", "impact": "major",
              "message": "We are looking into it.", **body}  # fmt: skip
    return await client.post(f"/api/v1/status-pages/{page_id}/incidents", json=fields)


def _banner(html: str) -> str:
    found = re.search(r'<div id="overall-status"[^>]*>', html)
    assert found, html
    return found.group(0)


class TestPostingIncidents:
    async def test_a_posted_incident_shows_its_timeline_and_raises_the_banner_until_resolved(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client, organization="Shop Co")
        shop = await _monitor(client, "Shop", public=True, port=target.port)
        page = await _page(client)
        assert 'data-status="operational"' in _banner((await client.get(f"/s/{page['slug']}")).text)

        created = await _post(client, page["id"], impact="critical", monitor_ids=[shop],
                              message="Payments **fail** for some cards.")  # fmt: skip
        assert created.status_code == 201, created.text
        incident = created.json()
        assert incident["status"] == "investigating"
        assert incident["monitor_ids"] == [shop]
        assert incident["url"].startswith(f"http://testserver/s/{page['slug']}/history?month=")
        assert [u["status"] for u in incident["updates"]] == ["investigating"]

        html = (await client.get(f"/s/{page['slug']}")).text
        assert 'data-status="major_outage"' in _banner(html)  # critical impact, although Shop is up
        assert "Checkout is slow" in html
        assert "Payments <strong>fail</strong> for some cards." in html
        assert "Affects Shop" in html

        step = await client.post(
            f"/api/v1/status-pages/{page['id']}/incidents/{incident['id']}/updates",
            json={"status": "identified", "message": "A card processor is down; we are switching."},
        )
        assert step.status_code == 201, step.text
        assert [u["status"] for u in step.json()["updates"]] == ["identified", "investigating"]
        html = (await client.get(f"/s/{page['slug']}")).text
        assert html.index("A card processor is down") < html.index("Payments <strong>fail</strong>")

        done = await client.post(
            f"/api/v1/status-pages/{page['id']}/incidents/{incident['id']}/updates",
            json={"status": "resolved", "message": "All payments go through again."},
        )
        assert done.json()["status"] == "resolved"
        assert done.json()["resolved_at"] is not None
        html = (await client.get(f"/s/{page['slug']}")).text
        assert 'data-status="operational"' in _banner(html)
        assert "Active incidents" not in html
        assert "Recent incidents" in html
        assert f"#incident-{incident['id']}" in html

    async def test_statuspage_json_lists_posted_incidents_with_their_updates(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        shop = await _monitor(client, "Shop", public=True, port=target.port)
        page = await _page(client)
        incident = (await _post(client, page["id"], impact="minor", monitor_ids=[shop])).json()
        base = f"/s/{page['slug']}/api/v2"

        summary = (await client.get(f"{base}/summary.json")).json()
        assert summary["status"]["indicator"] == "minor"
        (shown,) = summary["incidents"]
        assert set(shown) == INCIDENT_KEYS
        assert shown["id"] == incident["id"]
        assert shown["name"] == "Checkout is slow"
        assert shown["impact"] == "minor"
        assert shown["shortlink"] == incident["url"]
        (first,) = shown["incident_updates"]
        assert set(first) == UPDATE_KEYS
        assert first["body"] == "We are looking into it."
        assert first["display_at"] == first["created_at"]
        assert first["affected_components"] == [
            {"code": shop, "name": "Shop", "old_status": "operational", "new_status": "degraded_performance"}
        ]
        assert [c["id"] for c in shown["components"]] == [shop]
        unresolved = (await client.get(f"{base}/incidents/unresolved.json")).json()["incidents"]
        assert [i["id"] for i in unresolved] == [incident["id"]]

        for status in ("monitoring", "resolved"):
            await client.post(
                f"/api/v1/status-pages/{page['id']}/incidents/{incident['id']}/updates",
                json={"status": status, "message": f"Now {status}."},
            )
        listed = (await client.get(f"{base}/incidents.json")).json()["incidents"]
        (resolved,) = listed
        assert resolved["status"] == "resolved"
        assert resolved["monitoring_at"] is not None
        assert resolved["resolved_at"] is not None
        assert [u["status"] for u in resolved["incident_updates"]] == [
            "resolved",
            "monitoring",
            "investigating",
        ]
        assert resolved["incident_updates"][0]["affected_components"][0]["new_status"] == "operational"
        assert (await client.get(f"{base}/incidents/unresolved.json")).json()["incidents"] == []
        assert (await client.get(f"{base}/summary.json")).json()["status"]["indicator"] == "none"
        own = (await client.get(f"/s/{page['slug']}/api")).json()
        assert own["posted_incidents"][0]["id"] == incident["id"]

    async def test_markdown_is_rendered_safely(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        page = await _page(client)
        message = (
            "<script>alert('x')</script> <img src=x onerror=alert(1)>\n\n"
            "[status of our provider](https://provider.example/status) and [bad](javascript:alert(1))"
        )
        assert (await _post(client, page["id"], message=message)).status_code == 201

        html = (await client.get(f"/s/{page['slug']}")).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert" in html
        assert "<img src=x" not in html
        assert '<a href="https://provider.example/status" rel="nofollow noopener noreferrer">' in html
        assert 'href="javascript:' not in html

    async def test_patch_corrects_and_delete_removes(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        shop = await _monitor(client, "Shop", public=True, port=target.port)
        page = await _page(client)
        incident = (await _post(client, page["id"])).json()
        url = f"/api/v1/status-pages/{page['id']}/incidents/{incident['id']}"

        fixed = await client.patch(
            url, json={"title": "Checkout errors", "impact": "none", "monitor_ids": [shop]}
        )
        assert fixed.status_code == 200, fixed.text
        assert (fixed.json()["title"], fixed.json()["impact"], fixed.json()["monitor_ids"]) == (
            "Checkout errors", "none", [shop],
        )  # fmt: skip
        assert fixed.json()["status"] == "investigating"  # the status moves only through updates
        html = (await client.get(f"/s/{page['slug']}")).text
        assert "Checkout errors" in html
        assert 'data-status="operational"' in _banner(html)  # no impact: the banner stays green
        listed = await client.get(f"/api/v1/status-pages/{page['id']}/incidents")
        assert [i["id"] for i in listed.json()] == [incident["id"]]
        assert listed.headers["x-total-count"] == "1"

        assert (await client.delete(url)).status_code == 204
        assert (await client.get(url)).status_code == 404
        assert "Checkout errors" not in (await client.get(f"/s/{page['slug']}")).text

    async def test_bad_input_is_a_422_and_changes_nothing(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        public = await _monitor(client, "Website", public=True, port=target.port)
        private = await _monitor(client, "Internal db", public=False, port=target.port)
        page = await _page(client)
        bad_bodies: list[dict[str, Any]] = [
            {"monitor_ids": [private]},
            {"monitor_ids": [str(uuid.uuid4())]},
            {"monitor_ids": ["not-a-uuid"]},
            {"monitor_ids": [public, public]},
            {"status": "fixed"},
            {"impact": "huge"},
            {"title": "   "},
            {"title": "x" * 201},
            {"message": ""},
            {"message": "nul \x00 byte"},
            {"colour": "red"},
        ]
        for body in bad_bodies:
            response = await _post(client, page["id"], **body)
            assert response.status_code == 422, (body, response.text)
            assert "detail" in response.json()
        assert (await client.get(f"/api/v1/status-pages/{page['id']}/incidents")).json() == []

        incident = (await _post(client, page["id"])).json()
        url = f"/api/v1/status-pages/{page['id']}/incidents/{incident['id']}"
        for body in [
            {"status": "done", "message": "x"},
            {"status": "resolved", "message": " "},
            {"status": "resolved"},
        ]:
            assert (await client.post(f"{url}/updates", json=body)).status_code == 422, body
        for body in [{"title": "fine", "impact": "huge"}, {"title": "fine", "monitor_ids": [private]},
                     {"status": "resolved"}]:  # fmt: skip
            assert (await client.patch(url, json=body)).status_code == 422, body
        after = (await client.get(url)).json()
        assert after["title"] == "Checkout is slow"
        assert after["status"] == "investigating"
        assert len(after["updates"]) == 1
        assert private not in (await client.get(f"/s/{page['slug']}")).text

    async def test_another_organizations_page_and_incidents_are_404(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        await signup(client, organization="First")
        mine = await _page(client)
        incident = (await _post(client, mine["id"])).json()
        mine_url = f"/api/v1/status-pages/{mine['id']}/incidents"
        async with make_client(app) as other:
            await signup(other, organization="Second")
            theirs = await _page(other)
            assert (await other.get(mine_url)).status_code == 404
            assert (await _post(other, mine["id"])).status_code == 404
            assert (await other.get(f"{mine_url}/{incident['id']}")).status_code == 404
            assert (await other.patch(f"{mine_url}/{incident['id']}", json={"title": "x"})).status_code == 404
            assert (await other.delete(f"{mine_url}/{incident['id']}")).status_code == 404
            posted = await other.post(
                f"{mine_url}/{incident['id']}/updates", json={"status": "resolved", "message": "ha"}
            )
            assert posted.status_code == 404
            # Their own page id with my incident id: still not theirs.
            cross = f"/api/v1/status-pages/{theirs['id']}/incidents/{incident['id']}"
            assert (await other.get(cross)).status_code == 404
            assert (await other.get(f"/status-pages/{mine['id']}/incidents")).status_code == 404
        assert (await client.get(f"{mine_url}/not-an-id")).status_code == 404
        assert (await client.get(f"{mine_url}/{incident['id']}")).json()["status"] == "investigating"

    async def test_it_needs_a_signed_in_user(self, client: httpx.AsyncClient) -> None:
        some = str(uuid.uuid4())
        assert (await client.get(f"/api/v1/status-pages/{some}/incidents")).status_code == 401
        page = await client.get(f"/status-pages/{some}/incidents")
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login")


async def _age(app: FastAPI, incident_id: str, at: datetime) -> None:
    """Move an incident (and its updates) back in time, as if it had been posted then."""
    async with app.state.sessionmaker() as db, db.begin():
        key = uuid.UUID(incident_id)
        await db.execute(
            update(StatusIncident)
            .where(StatusIncident.id == key)
            .values(created_at=at, updated_at=at, resolved_at=at + timedelta(hours=1))
        )
        await db.execute(update(StatusIncidentUpdate).where(StatusIncidentUpdate.incident_id == key)
                         .values(created_at=at))  # fmt: skip


class TestHistory:
    async def test_a_new_page_with_no_incidents_has_an_empty_history(self, client: httpx.AsyncClient) -> None:
        await signup(client)
        page = await _page(client)

        response = await client.get(f"/s/{page['slug']}/history")

        assert response.status_code == 200
        assert "No incidents in" in response.text

    async def test_history_pages_by_month_newest_first_with_both_kinds(
        self, app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        page = await _page(client)
        down = await _monitor(client, "Search", public=True, port=free_port())  # an automatic incident
        await _monitor(client, "Secret", public=False, port=free_port())
        older = (await _post(client, page["id"], title="Older post", status="resolved")).json()
        newer = (await _post(client, page["id"], title="Newer post")).json()
        now = datetime.now(UTC)
        last_month = (now.replace(day=1) - timedelta(days=1)).replace(day=10, hour=12)
        await _age(app, older["id"], last_month)

        this = await client.get(f"/s/{page['slug']}/history")
        assert this.status_code == 200
        assert "set-cookie" not in this.headers
        html = this.text
        assert now.strftime("%B %Y") in html
        assert "Newer post" in html
        assert "Older post" not in html
        assert "Search is unavailable" in html
        assert "Secret" not in html
        assert html.index("Newer post") < html.index("Search is unavailable")  # newest first
        assert f'?month={last_month:%Y-%m}"' in html  # the previous month's link
        assert 'rel="next"' not in html  # nothing after the current month

        previous = (await client.get(f"/s/{page['slug']}/history?month={last_month:%Y-%m}")).text
        assert "Older post" in previous
        assert f'id="incident-{older["id"]}"' in previous
        assert "Newer post" not in previous
        assert f'?month={now:%Y-%m}"' in previous  # the link forward
        assert down not in previous

        for month in ("2026-13", "26-01", "x", "2026-1-1"):
            response = await client.get(f"/s/{page['slug']}/history?month={month}")
            assert response.status_code == 422, month
        future = now.replace(day=28) + timedelta(days=40)
        assert (await client.get(f"/s/{page['slug']}/history?month={future:%Y-%m}")).status_code == 404
        assert (await client.get("/s/no-such-page/history")).status_code == 404
        assert newer["status"] == "investigating"


class TestDashboardPages:
    async def test_a_user_posts_and_resolves_an_incident_with_plain_forms(
        self, client: httpx.AsyncClient, target: SwitchableTarget
    ) -> None:
        await signup(client)
        shop = await _monitor(client, "Shop", public=True, port=target.port)
        private = await _monitor(client, "Back office", public=False, port=target.port)
        page = await _page(client)
        csrf = client.cookies["statusping_csrf"]
        assert "/status-page/incidents" in (await client.get("/incidents")).text
        found = await client.get("/status-page/incidents")
        assert found.headers["location"] == f"/status-pages/{page['id']}/incidents"
        form_page = await client.get(f"/status-pages/{page['id']}/incidents")
        assert form_page.status_code == 200
        assert "Post an incident" in form_page.text
        assert "Shop" in form_page.text
        assert "Back office" not in form_page.text

        del client.headers["X-CSRF-Token"]  # forms carry the token as a field, as a browser does
        headers: dict[str, str] = {}
        refused = await client.post(
            f"/status-pages/{page['id']}/incidents",
            data={"csrf_token": csrf, "title": "Shop down", "status": "investigating", "impact": "major",
                  "message": "Looking", "monitor_ids": [private]},
            headers=headers,
        )  # fmt: skip
        assert refused.status_code == 422
        assert "not a public component" in refused.text
        assert (await client.get(f"/api/v1/status-pages/{page['id']}/incidents")).json() == []

        opened = await client.post(
            f"/status-pages/{page['id']}/incidents",
            data={"csrf_token": csrf, "title": "Shop down", "status": "investigating", "impact": "major",
                  "message": "Looking into *it*", "monitor_ids": [shop]},
            headers=headers,
        )  # fmt: skip
        assert opened.status_code == 303
        detail_url = opened.headers["location"]
        detail = await client.get(detail_url)
        assert "Looking into <em>it</em>" in detail.text
        assert "Post an update" in detail.text

        assert (await client.post(f"{detail_url}/updates", data={"csrf_token": csrf, "status": "resolved",
                                                                 "message": ""}, headers=headers)).status_code == 422  # fmt: skip
        resolved = await client.post(
            f"{detail_url}/updates", data={"csrf_token": csrf, "status": "resolved", "message": "Fixed"},
            headers=headers,
        )  # fmt: skip
        assert resolved.status_code == 303
        (incident,) = (await client.get(f"/api/v1/status-pages/{page['id']}/incidents")).json()
        assert incident["status"] == "resolved"
        assert [u["message"] for u in incident["updates"]] == ["Fixed", "Looking into *it*"]

        edited = await client.post(
            f"{detail_url}/edit", data={"csrf_token": csrf, "title": "Shop was down", "impact": "minor"},
            headers=headers,
        )  # fmt: skip
        assert edited.status_code == 303
        assert "Shop was down" in (await client.get(detail_url)).text

        forged = await client.post(f"{detail_url}/delete", data={"csrf_token": "wrong"}, headers=headers)
        assert forged.status_code == 403
        gone = await client.post(f"{detail_url}/delete", data={"csrf_token": csrf}, headers=headers)
        assert gone.status_code == 303
        assert (await client.get(f"/api/v1/status-pages/{page['id']}/incidents")).json() == []
