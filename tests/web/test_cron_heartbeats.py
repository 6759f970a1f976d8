"""Cron heartbeats over the API and the form: a schedule in a time zone instead of a period."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support import signup


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"mode": "selfhosted", "min_interval_seconds": 1}


def field_error(html: str, name: str) -> str | None:
    found = re.search(rf'<p id="mf-{name}-error" class="form-error">([^<]*)</p>', html)
    return found.group(1) if found else None


async def create(client: httpx.AsyncClient, **fields: Any) -> httpx.Response:
    body = {"name": "Nightly backup", "type": "heartbeat", "grace_seconds": 600, **fields}
    return await client.post("/api/v1/monitors", json=body)


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_a_cron_heartbeat_expects_its_next_ping_at_the_next_run_in_its_zone(
    client: httpx.AsyncClient,
) -> None:
    await signup(client)
    response = await create(client, schedule="30 2 * * *", timezone="Europe/Berlin")
    assert response.status_code == 201, response.text
    monitor = response.json()
    assert (monitor["schedule"], monitor["timezone"]) == ("30 2 * * *", "Europe/Berlin")
    assert monitor["interval_seconds"] is None  # a schedule instead of a period
    expected = moment(monitor["next_ping_expected_at"]).astimezone(ZoneInfo("Europe/Berlin"))
    # 02:30 Berlin time (03:00 on the one night a year 02:30 does not exist), within a day.
    assert (expected.hour, expected.minute) in {(2, 30), (3, 0)}
    assert timedelta(0) < expected - datetime.now(UTC) <= timedelta(days=1)

    # A ping moves the expectation to the run after it, never earlier.
    token = monitor["ping_url"].rsplit("/", 1)[1]
    assert (await client.post(f"/ping/{token}")).status_code == 200
    after = (await client.get(f"/api/v1/monitors/{monitor['id']}")).json()
    assert after["status"] == "up"
    assert moment(after["next_ping_expected_at"]) >= moment(monitor["next_ping_expected_at"])

    page = (await client.get(f"/monitors/{monitor['id']}")).text
    assert '<code class="font-mono">30 2 * * *</code> (Europe/Berlin)' in page
    assert 'id="next-ping"' in page


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"schedule": "every night"}, "schedule 'every night' is not a valid cron expression"),
        ({"schedule": "61 2 * * *"}, "Bad minute"),
        (
            {"schedule": "30 2 * * *", "timezone": "Europe/Atlantis"},
            "timezone 'Europe/Atlantis' is not an IANA",
        ),
    ],
)
async def test_a_bad_schedule_or_zone_is_a_clear_422_and_creates_nothing(
    client: httpx.AsyncClient, fields: dict[str, str], words: str
) -> None:
    await signup(client)
    response = await create(client, **fields)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", next(iter(fields)) if "timezone" not in fields else "timezone"]
    assert words in problem["msg"]
    assert (await client.get("/api/v1/monitors")).json() == []


async def test_setting_a_period_turns_the_schedule_off_and_a_schedule_does_not_fit_other_types(
    client: httpx.AsyncClient,
) -> None:
    await signup(client)
    monitor = (await create(client, schedule="@hourly")).json()
    patched = await client.patch(f"/api/v1/monitors/{monitor['id']}", json={"interval_seconds": 120})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["schedule"], patched.json()["interval_seconds"]) == (None, 120)
    tcp = await client.post(
        "/api/v1/monitors",
        json={"name": "Db", "type": "tcp", "host": "127.0.0.1", "port": 5432, "schedule": "* * * * *"},
    )
    assert tcp.status_code == 422
    assert tcp.json()["detail"][0]["msg"] == "schedule does not apply to tcp monitors"


async def test_the_form_offers_every_n_seconds_or_a_cron_schedule(client: httpx.AsyncClient) -> None:
    await signup(client)
    csrf = client.cookies["statusping_csrf"]
    blank = (await client.get("/monitors/new?type=heartbeat")).text
    assert 'name="schedule_kind" value="interval" class="size-4" checked' in blank
    assert '<option value="UTC" selected>' in blank  # the organization's zone
    form = {
        "type": "heartbeat",
        "name": "Nightly backup",
        "schedule_kind": "cron",
        "schedule": "0 61 * * *",
        "timezone": "Europe/Berlin",
        "grace_seconds": "600",
        "interval_seconds": "",
        "csrf_token": csrf,
    }
    refused = await client.post("/monitors/new", data=form)
    assert refused.status_code == 422
    assert "Bad hour" in (field_error(refused.text, "schedule") or "")
    assert 'value="0 61 * * *"' in refused.text  # what was typed stays

    empty = await client.post("/monitors/new", data={**form, "schedule": " "})
    assert empty.status_code == 422
    assert (
        field_error(empty.text, "schedule") == "Enter the cron schedule, like 30 2 * * * for 02:30 every day."
    )

    created = await client.post("/monitors/new", data={**form, "schedule": "30 2 * * *"})
    assert created.status_code == 303, created.text
    monitor_id = created.headers["location"].removeprefix("/monitors/")
    saved = (await client.get(f"/api/v1/monitors/{monitor_id}")).json()
    assert (saved["schedule"], saved["timezone"]) == ("30 2 * * *", "Europe/Berlin")
    edit = (await client.get(f"/monitors/{monitor_id}/edit")).text
    assert 'name="schedule_kind" value="cron" class="size-4" checked' in edit
    assert '<option value="Europe/Berlin" selected>' in edit

    back = await client.post(
        f"/monitors/{monitor_id}/edit",
        data={**form, "schedule_kind": "interval", "schedule": "30 2 * * *", "interval_seconds": "3600"},
    )
    assert back.status_code == 303, back.text
    saved = (await client.get(f"/api/v1/monitors/{monitor_id}")).json()
    assert (saved["schedule"], saved["interval_seconds"]) == (None, 3600)
