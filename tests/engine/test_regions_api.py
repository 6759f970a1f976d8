"""Regions through the API and the pages: a monitor's regions and quorum, per-region results and the
monitor page's side-by-side table, recorded through the real recorder and quorum (both databases)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from statusping.domain.checks import CheckOutcome, ErrorKind
from statusping.services.recording import Observation, record
from statusping.services.regions import RegionView, report_in, sync_schedules
from tests.support import signup

REGIONS = ("ap", "eu", "us")


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"mode": "selfhosted", "min_interval_seconds": 1}


async def create(client: httpx.AsyncClient, **fields: Any) -> httpx.Response:
    body = {"name": "Shop", "type": "http", "url": "http://127.0.0.1:9/", "interval_seconds": 30, **fields}
    return await client.post("/api/v1/monitors", json=body)


async def test_regions_and_quorum_are_set_read_and_checked(client: httpx.AsyncClient) -> None:
    await signup(client)
    response = await create(client, regions=["EU", "us", "eu"], quorum=2)
    assert response.status_code == 201, response.text
    monitor = response.json()
    assert monitor["regions"] == ["eu", "us"]
    assert monitor["quorum"] == 2
    default = (await create(client)).json()
    assert default["regions"] == []
    assert default["quorum"] is None  # a majority of the live regions

    for bad, field in (
        ({"regions": ["eu", "us"], "quorum": 3}, "quorum"),
        ({"quorum": 0}, "quorum"),
        ({"quorum": "two"}, "quorum"),
        ({"regions": ["Europe West!"]}, "regions"),
    ):
        refused = await create(client, **bad)
        assert refused.status_code == 422, (bad, refused.text)
        assert field in refused.text

    url = f"/api/v1/monitors/{monitor['id']}"
    narrowed = await client.patch(url, json={"regions": ["eu"]})  # quorum 2 of one region: refused
    assert narrowed.status_code == 422
    assert "quorum" in narrowed.text
    assert (await client.get(url)).json()["regions"] == ["eu", "us"]  # nothing changed
    changed = await client.patch(url, json={"regions": ["eu"], "quorum": None})
    assert changed.status_code == 200, changed.text
    assert changed.json()["regions"] == ["eu"]
    assert changed.json()["quorum"] is None


async def live_regions(app: FastAPI, now: datetime) -> None:
    """Three regions report in, and each takes its schedules, as their workers would."""
    async with app.state.sessionmaker() as db, db.begin():
        views = [await report_in(db, owner=f"worker-{name}", region=name, now=now) for name in REGIONS]
    for view in views:
        async with app.state.sessionmaker() as db, db.begin():
            await sync_schedules(db, RegionView(region=view.region, live=REGIONS), now)


async def check(app: FastAPI, monitor_id: str, region: str, ok: bool, at: datetime) -> None:
    outcome = (
        CheckOutcome(ok=True, response_ms={"ap": 240.0, "eu": 40.0, "us": 120.0}[region], status_code=200)
        if ok
        else CheckOutcome.failure(ErrorKind.STATUS, "expected 200-299, got 503", status_code=503)
    )
    observation = Observation(uuid.UUID(monitor_id), outcome, at, regional=True)
    async with app.state.sessionmaker() as db, db.begin():
        await record(db, [observation], region=region)


async def test_regions_confirm_on_their_own_and_the_page_shows_them_side_by_side(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    monitor_id = (await create(client, failure_threshold=2, retry_interval_seconds=10)).json()["id"]
    start = datetime.now(UTC).replace(microsecond=0)
    await live_regions(app, start)
    for step in range(3):
        for region in REGIONS:
            await check(
                app, monitor_id, region, region != "eu" or step == 0, start + timedelta(seconds=10 * step)
            )
    url = f"/api/v1/monitors/{monitor_id}"
    assert (await client.get(url)).json()["status"] == "up"  # eu alone confirmed: no majority

    eu = (await client.get(f"{url}/results?region=eu")).json()
    assert [r["region"] for r in eu] == ["eu"] * 3
    assert [r["ok"] for r in eu] == [False, False, True]
    assert (await client.get(f"{url}/results?region=mars")).json() == []
    assert len((await client.get(f"{url}/results")).json()) == 9

    page = await client.get(f"/monitors/{monitor_id}")
    assert page.status_code == 200
    html = page.text
    assert 'id="regions"' in html
    for region in REGIONS:
        assert f'data-region="{region}"' in html
    eu_row = html.split('data-region="eu"')[1].split("</tr>")[0]
    assert "Failing" in eu_row
    assert "expected 200-299, got 503" in eu_row
    us_row = html.split('data-region="us"')[1].split("</tr>")[0]
    assert "Up" in us_row
    assert "120&nbsp;ms" in us_row

    # A check-now from the web node is one more result, not a vote: failing twice pages nobody.
    for _ in range(2):
        checked = await client.post(f"{url}/check")
        assert checked.status_code == 200, checked.text
        assert checked.json()["ok"] is False
    assert (await client.get(url)).json()["status"] == "up"
    assert len((await client.get(f"{url}/results?region=default")).json()) == 2

    # us breaks too: a majority has confirmed, the monitor is down, the incident names them.
    for step in (3, 4):
        for region in REGIONS:
            await check(app, monitor_id, region, region == "ap", start + timedelta(seconds=10 * step))
    assert (await client.get(url)).json()["status"] == "down"
    incidents = (await client.get(f"{url}/incidents")).json()
    assert len(incidents) == 1
    assert incidents[0]["cause"] == "expected 200-299, got 503 (seen from eu, us)"
    assert incidents[0]["started_at"].startswith((start + timedelta(seconds=10)).isoformat()[:19])

    # ap and us succeed: a majority is up again, though eu still fails.
    for region in REGIONS:
        await check(app, monitor_id, region, region != "eu", start + timedelta(seconds=50))
    assert (await client.get(url)).json()["status"] == "up"


async def test_the_form_sets_regions_and_quorum(app: FastAPI, client: httpx.AsyncClient) -> None:
    await signup(client)
    monitor_id = (await create(client)).json()["id"]
    form = await client.get(f"/monitors/{monitor_id}/edit")
    assert form.status_code == 200
    assert 'name="regions"' in form.text
    assert 'name="quorum"' in form.text
    csrf = client.cookies.get("statusping_csrf")
    saved = await client.post(
        f"/monitors/{monitor_id}/edit",
        data={"csrf_token": csrf, "name": "Shop", "url": "http://127.0.0.1:9/", "interval_seconds": "30",
              "timeout_seconds": "10", "failure_threshold": "3", "retry_interval_seconds": "20",
              "regions": "eu, us", "quorum": "2"},
    )  # fmt: skip
    assert saved.status_code in (200, 303), saved.text
    body = (await client.get(f"/api/v1/monitors/{monitor_id}")).json()
    assert body["regions"] == ["eu", "us"]
    assert body["quorum"] == 2
    cleared = await client.post(
        f"/monitors/{monitor_id}/edit",
        data={"csrf_token": csrf, "name": "Shop", "url": "http://127.0.0.1:9/", "interval_seconds": "30",
              "timeout_seconds": "10", "failure_threshold": "3", "retry_interval_seconds": "20",
              "regions": "", "quorum": ""},
    )  # fmt: skip
    assert cleared.status_code in (200, 303), cleared.text
    body = (await client.get(f"/api/v1/monitors/{monitor_id}")).json()
    assert body["regions"] == []
    assert body["quorum"] is None
