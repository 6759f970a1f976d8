"""The maintenance page: windows in progress, upcoming and past; recurrence presets, time zones and
monitor choice through the form; the rules' refusals beside their fields (issue 9)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from statusping.storage.models import Organization
from tests.conftest import make_client
from tests.support import signup

HTMX = {"HX-Request": "true"}


def field_error(html: str, name: str) -> str | None:
    found = re.search(rf'<p id="mf-{name}-error" class="form-error">([^<]*)</p>', html)
    return found.group(1) if found else None


async def business(app: FastAPI, client: httpx.AsyncClient) -> None:
    org_id = (await client.get("/api/v1/me")).json()["organization"]["id"]
    async with app.state.sessionmaker() as db, db.begin():
        org = await db.get(Organization, uuid.UUID(org_id))
        assert org is not None
        org.plan = "business"


async def windows(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await client.get("/api/v1/maintenances")).json()
    return found


def local(moment: datetime, zone: str = "UTC") -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def form(**fields: Any) -> dict[str, Any]:
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=2)
    base = {
        "title": "Database upgrade",
        "starts_at": local(start),
        "ends_at": local(start + timedelta(hours=2)),
        "timezone": "UTC",
        "repeat": "none",
        "scope": "all",
    }
    return {**base, **fields}


async def test_the_empty_page_and_a_plan_without_windows(client: httpx.AsyncClient) -> None:
    await signup(client)  # Free: no maintenance windows

    page = await client.get("/maintenance")

    assert page.status_code == 200
    assert "No maintenance scheduled." in page.text
    assert "Nothing in maintenance right now." in page.text
    assert "the Business plan lifts it" in page.text
    refused = await client.post("/maintenance/new", data=form())
    assert refused.status_code == 422
    assert "not included in the Free plan" in refused.text
    assert await windows(client) == []


async def test_a_weekly_window_in_a_zone_is_created_edited_and_deleted(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    await business(app, client)
    shop = (await client.post("/api/v1/monitors", json={"name": "Shop", "type": "http",
                                                         "url": "https://example.com", "interval_seconds": 300})).json()  # fmt: skip
    new = await client.get("/maintenance/new")
    assert new.status_code == 200
    assert '<option value="Europe/Berlin">' in new.text

    today = datetime.now(UTC).date() + timedelta(days=2)
    saturday = today + timedelta(days=(5 - today.weekday()) % 7)
    start = datetime(saturday.year, saturday.month, saturday.day, 2, 0)  # wall-clock time in Berlin
    until = (saturday + timedelta(days=200)).isoformat()
    start_utc = start.replace(tzinfo=ZoneInfo("Europe/Berlin")).astimezone(UTC)
    created = await client.post(
        "/maintenance/new",
        data=form(
            title="Weekend patching",
            starts_at=start.strftime("%Y-%m-%dT%H:%M"),
            ends_at=(start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            timezone="Europe/Berlin",
            repeat="weekly",
            days=["SA", "SU"],
            until=until,
            scope="some",
            monitor_ids=[shop["id"]],
        ),
    )
    assert created.status_code == 303, created.text
    (window,) = await windows(client)
    assert window["timezone"] == "Europe/Berlin"
    assert window["recurrence"] == f"FREQ=WEEKLY;BYDAY=SA,SU;UNTIL={until.replace('-', '')}"
    assert datetime.fromisoformat(window["starts_at"]) == start_utc
    assert window["monitor_ids"] == [shop["id"]]

    page = (await client.get("/maintenance")).text
    assert "Weekend patching" in page
    assert f"Every week on Sat, Sun until {until}" in page
    assert "Shop" in page

    edit = (await client.get(f"/maintenance/{window['id']}/edit")).text
    assert f'value="{start:%Y-%m-%dT%H:%M}"' in edit  # shown in the window's own zone
    assert re.search(r'value="SA" class="size-4" checked', edit)
    assert re.search(r'value="weekly" class="size-4" checked', edit)

    saved = await client.post(
        f"/maintenance/{window['id']}/edit",
        data=form(title="Monthly patching", starts_at=f"{start:%Y-%m-%dT%H:%M}",
                  ends_at=f"{start + timedelta(hours=3):%Y-%m-%dT%H:%M}", timezone="Europe/Berlin", repeat="monthly"),
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    (changed,) = await windows(client)
    assert changed["title"] == "Monthly patching"
    assert changed["recurrence"] == "FREQ=MONTHLY"
    assert changed["monitor_ids"] is None

    assert (
        "Delete &ldquo;Monthly patching&rdquo;?"
        in (await client.get(f"/maintenance/{window['id']}/delete")).text
    )
    deleted = await client.post(f"/maintenance/{window['id']}/delete")
    assert deleted.status_code == 303
    assert await windows(client) == []


async def test_recurrence_and_time_refusals_appear_beside_their_fields(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    await business(app, client)

    custom = await client.post("/maintenance/new", data=form(repeat="custom", rrule="FREQ=HOURLY"))
    assert custom.status_code == 422
    assert "must repeat DAILY, WEEKLY, MONTHLY or YEARLY" in (field_error(custom.text, "rrule") or "")
    assert 'value="FREQ=HOURLY"' in custom.text

    backwards = await client.post(
        "/maintenance/new",
        data=form(starts_at="2030-01-01T10:00", ends_at="2030-01-01T09:00"),
        headers=HTMX,
    )
    assert backwards.status_code == 200
    assert field_error(backwards.text, "ends_at") == "The end must be after the start."

    garbled = await client.post("/maintenance/new", data=form(starts_at="tomorrow"))
    assert field_error(garbled.text, "starts_at") == "Enter a date and time, like 2026-05-01 02:00."

    none_chosen = await client.post("/maintenance/new", data=form(scope="some"))
    assert "at least one monitor" in (field_error(none_chosen.text, "monitor_ids") or "")

    zone = await client.post("/maintenance/new", data=form(timezone="Mars/Olympus"))
    assert "Unknown time zone" in (field_error(zone.text, "timezone") or "")
    assert await windows(client) == []


async def test_windows_are_grouped_in_progress_upcoming_and_past(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    await business(app, client)
    now = datetime.now(UTC)
    for title, start in (("Running", now - timedelta(hours=1)), ("Later", now + timedelta(days=3)),
                         ("Done", now - timedelta(days=3))):  # fmt: skip
        body = {
            "title": title,
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
        }
        assert (await client.post("/api/v1/maintenances", json=body)).status_code == 201

    html = (await client.get("/maintenance")).text

    active, upcoming, past = (
        html.index(h) for h in ('id="active-heading"', 'id="upcoming-heading"', 'id="past-heading"')
    )
    assert active < html.index("Running") < upcoming < html.index("Later") < past < html.index("Done")


async def test_another_organizations_window_is_the_404_page(app: FastAPI, client: httpx.AsyncClient) -> None:
    await signup(client)
    await business(app, client)
    start = datetime.now(UTC) + timedelta(days=1)
    theirs = (await client.post("/api/v1/maintenances", json={"title": "Mine", "starts_at": start.isoformat(),
                                                               "ends_at": (start + timedelta(hours=1)).isoformat()})).json()  # fmt: skip
    async with make_client(app) as outsider:
        await signup(outsider, organization="Other Org")
        for path in (f"/maintenance/{theirs['id']}/edit", f"/maintenance/{theirs['id']}/delete"):
            assert (await outsider.get(path)).status_code == 404, path
        assert (await outsider.post(f"/maintenance/{theirs['id']}/delete")).status_code == 404
        assert (await outsider.post(f"/maintenance/{theirs['id']}/edit", data=form())).status_code == 404
    assert len(await windows(client)) == 1
