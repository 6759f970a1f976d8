"""The dashboard list as a signed-in browser sees it: summary, search, filter, sort, pages, bulk
actions, and another organization's monitors never shown or touched (issue 9)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from statusping.storage.models import HourlyRollup, Monitor, MonitorChange
from tests.conftest import make_client
from tests.support import signup
from tests.targets import SwitchableTarget

HTMX_LIST = {"HX-Request": "true", "HX-Target": "monitor-list"}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"mode": "selfhosted", "min_interval_seconds": 10}


async def create(client: httpx.AsyncClient, name: str, url: str = "https://example.com/", **more: Any) -> str:
    body = {"name": name, "type": "http", "url": url, "interval_seconds": 300, **more}
    response = await client.post("/api/v1/monitors", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def row_names(html: str) -> list[str]:
    return re.findall(r'<a href="/monitors/[0-9a-f-]+" class="link block truncate">([^<]*)</a>', html)


def summary(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-summary="(\w+)">(\d+)<', html)}


async def signed_in(app: FastAPI) -> httpx.AsyncClient:
    client = make_client(app)
    await signup(client)
    return client


async def test_a_new_account_sees_the_add_monitor_call_to_action(client: httpx.AsyncClient) -> None:
    await signup(client)
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert "No monitors yet" in page.text
    assert 'href="/monitors/new" class="btn btn-primary mt-5">Add monitor' in page.text
    assert 'id="list-controls"' not in page.text  # nothing to search yet


async def test_it_lists_monitors_with_summary_target_and_relative_last_check(
    client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client)
    shop = await create(client, "Shop", target.url)
    await create(client, "Blog", "https://blog.example.com/")
    assert (await client.post(f"/api/v1/monitors/{shop}/check")).status_code == 200
    page = await client.get("/dashboard")
    assert row_names(page.text) == ["Blog", "Shop"]  # pending (needs a look) before up
    assert summary(page.text) == {
        "up": 1,
        "down": 0,
        "degraded": 0,
        "paused": 0,
        "maintenance": 0,
        "pending": 1,
    }
    assert f"GET {target.url}" in page.text
    assert re.search(r'<time datetime="[^"]+\+00:00" data-relative>', page.text)
    assert "/static/js/dashboard.js" in page.text
    assert re.search(r'<polyline points="[\d., ]+"', page.text)  # the sparkline of the checked one
    assert ">100%<" in page.text  # its uptime


async def test_search_matches_name_or_target_and_says_when_nothing_matches(client: httpx.AsyncClient) -> None:
    await signup(client)
    await create(client, "Shop", "https://shop.example.com/")
    await create(client, "Blog", "https://words.example.org/")
    await create(client, "100% real", "https://percent.example.net/")
    assert row_names((await client.get("/dashboard", params={"q": "shop"})).text) == ["Shop"]
    assert row_names((await client.get("/dashboard", params={"q": "WORDS.example"})).text) == ["Blog"]
    assert row_names((await client.get("/dashboard", params={"q": "%"})).text) == ["100% real"]
    nothing = await client.get("/dashboard", params={"q": "nowhere"})
    assert row_names(nothing.text) == []
    assert "No monitors match &ldquo;nowhere&rdquo;" in nothing.text
    assert summary(nothing.text)["pending"] == 3  # the summary is the whole organization's


async def test_filter_by_status_and_htmx_gets_the_list_alone(client: httpx.AsyncClient) -> None:
    await signup(client)
    await create(client, "Alpha")
    beta = await create(client, "Beta")
    assert (await client.post(f"/api/v1/monitors/{beta}/pause")).status_code == 200
    paused = await client.get("/dashboard", params={"status": "paused"})
    assert row_names(paused.text) == ["Beta"]
    assert 'aria-current="true"' in paused.text
    pending = await client.get("/dashboard", params={"status": "pending"}, headers=HTMX_LIST)
    assert row_names(pending.text) == ["Alpha"]
    assert pending.text.lstrip().startswith('<section id="monitor-list"')
    assert "<html" not in pending.text
    odd = await client.get("/dashboard", params={"status": "bogus", "sort": "nope", "page": "x"})
    assert odd.status_code == 200
    assert row_names(odd.text) == ["Alpha", "Beta"]


async def test_maintenance_shows_as_its_own_status(client: httpx.AsyncClient) -> None:
    await signup(client)
    alpha = await create(client, "Alpha")
    await create(client, "Beta")
    now = datetime.now(UTC)
    window = {
        "title": "Upgrade",
        "starts_at": (now - timedelta(minutes=5)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "monitor_ids": [alpha],
    }
    assert (await client.post("/api/v1/maintenances", json=window)).status_code == 201
    page = await client.get("/dashboard", params={"status": "maintenance"})
    assert row_names(page.text) == ["Alpha"]
    assert summary(page.text)["maintenance"] == 1
    assert summary(page.text)["pending"] == 1
    assert row_names((await client.get("/dashboard", params={"status": "pending"})).text) == ["Beta"]


async def test_sorts_by_name_last_check_and_uptime(
    client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client)
    ids = {name: await create(client, name, target.url) for name in ("Bravo", "alpha", "Charlie")}
    for name in ("Charlie", "Bravo"):  # Charlie checked first, Bravo last; alpha never
        assert (await client.post(f"/api/v1/monitors/{ids[name]}/check")).status_code == 200
    assert row_names((await client.get("/dashboard", params={"sort": "name"})).text) == [
        "alpha",
        "Bravo",
        "Charlie",
    ]
    assert row_names((await client.get("/dashboard", params={"sort": "-name"})).text) == [
        "Charlie",
        "Bravo",
        "alpha",
    ]
    assert row_names((await client.get("/dashboard", params={"sort": "-last_check"})).text) == [
        "Bravo",
        "Charlie",
        "alpha",
    ]
    assert row_names((await client.get("/dashboard", params={"sort": "last_check"})).text) == [
        "Charlie",
        "Bravo",
        "alpha",
    ]
    target.status = 500
    await client.patch(f"/api/v1/monitors/{ids['Bravo']}", json={"failure_threshold": 1})
    assert (await client.post(f"/api/v1/monitors/{ids['Bravo']}/check")).status_code == 200
    by_uptime = row_names((await client.get("/dashboard", params={"sort": "uptime"})).text)
    assert by_uptime[0] == "Bravo"
    assert by_uptime[-1] == "alpha"
    status_first = row_names((await client.get("/dashboard")).text)
    assert status_first[0] == "Bravo"  # down before everything


async def test_pages_hold_fifty_with_counts_and_links_that_keep_the_filters(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    org_id = uuid.UUID((await client.get("/api/v1/me")).json()["organization"]["id"])
    await insert_monitors(app, org_id, 120)
    first = await client.get("/dashboard", params={"sort": "name"})
    assert len(row_names(first.text)) == 50
    assert '1&ndash;50</span> of <span class="tabular-nums">120</span>' in first.text
    assert 'href="/dashboard?sort=name&amp;page=2"' in first.text
    last = await client.get("/dashboard", params={"sort": "name", "page": "3"})
    assert row_names(last.text) == [f"Monitor {i:03d}" for i in range(100, 120)]
    assert 'rel="prev"' in last.text
    assert 'rel="next"' not in last.text
    beyond = await client.get("/dashboard", params={"sort": "name", "page": "99"})
    assert row_names(beyond.text)[-1] == "Monitor 119"  # clamped to the last page
    searched = await client.get("/dashboard", params={"q": "Monitor 11", "sort": "name"})
    assert len(row_names(searched.text)) == 10
    assert "(of 120)" in searched.text


async def test_bulk_pause_resume_and_delete_after_confirmation(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    a, b, c = [await create(client, name) for name in ("A", "B", "C")]
    csrf = client.cookies["statusping_csrf"]
    paused = await client.post(
        "/dashboard/bulk",
        data={"csrf_token": csrf, "action": "pause", "ids": [a, b], "back": "q=&status=&sort=name"},
    )
    assert paused.status_code == 303
    assert paused.headers["location"] == "/dashboard?sort=name&done=pause&n=2"
    shown = await client.get(paused.headers["location"])
    assert "Paused 2 monitors." in shown.text
    assert summary(shown.text)["paused"] == 2
    resumed = await client.post("/dashboard/bulk", data={"csrf_token": csrf, "action": "resume", "ids": [b]})
    assert resumed.headers["location"].endswith("done=resume&n=1")
    ask = await client.post("/dashboard/bulk", data={"csrf_token": csrf, "action": "delete", "ids": [a, c]})
    assert ask.status_code == 200
    assert "Delete 2 monitors?" in ask.text
    assert '<li class="break-words">A</li>' in ask.text
    assert len((await client.get("/api/v1/monitors")).json()) == 3  # asking deleted nothing
    done = await client.post(
        "/dashboard/bulk", data={"csrf_token": csrf, "action": "delete", "confirm": "yes", "ids": [a, c]}
    )
    assert done.status_code == 303
    assert [m["name"] for m in (await client.get("/api/v1/monitors")).json()] == ["B"]
    async with app.state.sessionmaker() as db:
        statuses = (await db.execute(select(MonitorChange.monitor_id, MonitorChange.status))).all()
    recorded = {(str(m), s) for m, s in statuses}
    assert {(a, "paused"), (b, "paused"), (b, "pending"), (a, "deleted"), (c, "deleted")} <= recorded


async def test_bulk_actions_need_the_csrf_token_and_a_writer(client: httpx.AsyncClient) -> None:
    await signup(client)
    a = await create(client, "A")
    refused = await client.post(
        "/dashboard/bulk", data={"action": "pause", "ids": [a]}, headers={"X-CSRF-Token": ""}
    )
    assert refused.status_code == 403
    assert (await client.get(f"/api/v1/monitors/{a}")).json()["status"] == "pending"
    bad = await client.post(
        "/dashboard/bulk",
        data={"csrf_token": client.cookies["statusping_csrf"], "action": "explode", "ids": [a]},
    )
    assert bad.status_code == 422


async def test_another_organizations_monitors_are_neither_listed_nor_touched(app: FastAPI) -> None:
    async with make_client(app) as owner, make_client(app) as stranger:
        await signup(owner, organization="Owner Co")
        await signup(stranger, organization="Stranger Co")
        mine = await create(owner, "Mine")
        theirs = await create(stranger, "Theirs")
        page = await owner.get("/dashboard")
        assert row_names(page.text) == ["Mine"]
        assert theirs not in page.text
        csrf = owner.cookies["statusping_csrf"]
        for action in ("pause", "delete"):
            answer = await owner.post(
                "/dashboard/bulk",
                data={"csrf_token": csrf, "action": action, "confirm": "yes", "ids": [theirs, "not-an-id"]},
            )
            assert answer.status_code == 303
            assert answer.headers["location"].endswith("n=0")
        assert (await stranger.get(f"/api/v1/monitors/{theirs}")).json()["status"] == "pending"
        assert mine in (await owner.get("/dashboard", params={"q": "Mine"})).text


async def test_signed_out_visitors_are_sent_to_log_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/dashboard")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fdashboard"
    stream = await client.get("/dashboard/events")
    assert stream.status_code == 401


async def insert_monitors(app: FastAPI, org_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    """Many monitors at once (through the API this would take a while), with a day of rollups."""
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in range(count)]
    async with app.state.sessionmaker() as db, db.begin():
        db.add_all(
            Monitor(
                id=monitor_id,
                organization_id=org_id,
                name=f"Monitor {i:03d}",
                type="http",
                interval_seconds=60,
                timeout_seconds=10,
                failure_threshold=3,
                retry_interval_seconds=20,
                config={"url": f"https://m{i}.example.com/", "method": "GET"},
                status="up",
                created_at=now - timedelta(days=2),
                last_checked_at=now - timedelta(seconds=i),
            )
            for i, monitor_id in enumerate(ids)
        )
        await db.flush()
        hour = now.replace(minute=0, second=0, microsecond=0)
        db.add_all(
            HourlyRollup(
                monitor_id=monitor_id,
                region="default",
                bucket_start=hour - timedelta(hours=h),
                checks=60,
                failures=0,
                downtime_seconds=0.0,
                response_count=60,
                response_sum=60 * (100 + h),
            )
            for monitor_id in ids
            for h in range(3)
        )
    async with app.state.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Monitor)) >= count
    return ids
