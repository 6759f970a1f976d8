"""The monitor page, its chart data, and the monitor forms, as a signed-in browser sees them (issue 9).

SaaS mode with private targets allowed: plan limits apply, and checks may reach the local target.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from statusping.storage.models import Monitor, Organization
from tests.conftest import make_client
from tests.support import signup
from tests.targets import SwitchableTarget

HTMX = {"HX-Request": "true"}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"allow_private_targets": True}


def csrf(client: httpx.AsyncClient) -> str:
    return client.cookies["statusping_csrf"]


def field_error(html: str, name: str) -> str | None:
    """The message shown beside a form field (the element the input's aria-describedby names)."""
    found = re.search(rf'<p id="mf-{name}-error" class="form-error">([^<]*)</p>', html)
    return found.group(1) if found else None


async def create(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    payload = {"name": "Shop", "type": "http", "interval_seconds": 300, **body}
    response = await client.post("/api/v1/monitors", json=payload)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def check(client: httpx.AsyncClient, monitor_id: str, times: int = 1) -> None:
    for _ in range(times):
        response = await client.post(f"/api/v1/monitors/{monitor_id}/check")
        assert response.status_code == 200, response.text


async def set_plan(app: FastAPI, client: httpx.AsyncClient, plan: str) -> None:
    org_id = (await client.get("/api/v1/me")).json()["organization"]["id"]
    async with app.state.sessionmaker() as db, db.begin():
        org = await db.get(Organization, uuid.UUID(org_id))
        assert org is not None
        org.plan = plan


async def stored_config(app: FastAPI, monitor_id: str, name: str) -> Any:
    async with app.state.sessionmaker() as db:
        monitor = await db.get(Monitor, uuid.UUID(monitor_id))
        assert monitor is not None
        return monitor.config[name]


def form_of(**fields: Any) -> dict[str, Any]:
    base = {
        "type": "http",
        "name": "Shop",
        "url": "https://example.com/health",
        "method": "GET",
        "expected_status": "200-299",
        "interval_seconds": "300",
        "timeout_seconds": "10",
        "failure_threshold": "3",
        "retry_interval_seconds": "20",
    }
    return {**base, **fields}


# The monitor page ---------------------------------------------------------------------------------


async def test_the_page_shows_state_uptime_an_incident_with_its_cause_and_the_check_log(
    client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client)
    monitor = await create(client, url=target.url, failure_threshold=2)
    target.status = 503
    await check(client, monitor["id"], times=2)
    target.status = 200
    await check(client, monitor["id"])

    page = await client.get(f"/monitors/{monitor['id']}")

    assert page.status_code == 200
    html = page.text
    assert "<h1" in html
    assert "Shop" in html
    assert 'data-status="up"' in html
    assert "since <time" in html
    for window in ("24h", "7d", "30d", "90d", "365d"):
        assert f'data-window="{window}"' in html
    # Free keeps 24 hours: longer windows are a dash with the plan that lifts them.
    assert "The Free plan keeps 24 hours of history; Pro keeps 90 days" in html
    assert re.search(r'<table id="incidents".*503', html, re.S)  # the incident and its cause
    assert "Unexpected HTTP status code" in html  # error kinds in words
    assert html.count('data-ok="false"') == 2
    assert html.count('data-ok="true"') == 1
    assert f'data-series-url="/api/v1/monitors/{monitor["id"]}/series?range=24h"' in html
    assert "p95" in html
    assert "p99" in html
    assert 'id="timing-breakdown"' in html
    assert "TLS certificate" not in html  # http://, no certificate panel


async def test_a_new_monitor_page_has_empty_states_instead_of_tables(client: httpx.AsyncClient) -> None:
    await signup(client)
    monitor = await create(client, url="https://example.com")

    html = (await client.get(f"/monitors/{monitor['id']}")).text

    assert "No incidents." in html
    assert "No checks yet" in html
    assert "TLS certificate" in html
    assert "Not known yet" in html


async def test_a_heartbeat_page_shows_its_ping_url_with_copy_and_examples(client: httpx.AsyncClient) -> None:
    await signup(client)
    monitor = await create(client, type="heartbeat", name="Nightly backup", grace_seconds=120)

    html = (await client.get(f"/monitors/{monitor['id']}")).text

    assert monitor["ping_url"] in html
    assert 'data-copy="#ping-url"' in html
    assert f"curl -fsS -m 10 --retry 5 -o /dev/null {monitor['ping_url']}" in html
    assert "crontab" in html
    assert "No pings yet" in html


async def test_another_organizations_monitor_is_the_404_page(app: FastAPI, client: httpx.AsyncClient) -> None:
    await signup(client)
    theirs = await create(client, url="https://example.com")
    async with make_client(app) as outsider:
        await signup(outsider, organization="Other Org")
        for path in (f"/monitors/{theirs['id']}", f"/monitors/{theirs['id']}/edit", "/monitors/not-an-id"):
            response = await outsider.get(path)
            assert response.status_code == 404, path
            assert "Page not found" in response.text
        series = await outsider.get(f"/api/v1/monitors/{theirs['id']}/series")
        assert series.status_code == 404
        delete = await outsider.post(f"/monitors/{theirs['id']}/delete", data={"csrf_token": csrf(outsider)})
        assert delete.status_code == 404
    assert (await client.get(f"/api/v1/monitors/{theirs['id']}")).status_code == 200


async def test_a_signed_out_visitor_is_sent_to_log_in_and_back(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/monitors/{uuid.uuid4()}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2Fmonitors%2F")


async def test_the_check_log_pages_back_through_older_checks(
    client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client)
    monitor = await create(client, url=target.url)
    await check(client, monitor["id"], times=27)  # check-now allows 30 per 10 minutes

    first = (await client.get(f"/monitors/{monitor['id']}")).text
    assert first.count('data-ok="true"') == 25
    older = re.search(r'href="(\?range=24h&amp;before=[^"#]+)', first)
    assert older is not None
    second = (await client.get(f"/monitors/{monitor['id']}" + older.group(1).replace("&amp;", "&"))).text
    assert second.count('data-ok="true"') == 2
    assert "Newest checks" in second
    assert "Older checks" not in second


# The chart series ---------------------------------------------------------------------------------


async def test_the_series_is_columnar_with_one_point_per_check_over_24h(
    client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client)
    monitor = await create(client, url=target.url)
    await check(client, monitor["id"], times=2)
    target.status = 500
    await check(client, monitor["id"])

    response = await client.get(f"/api/v1/monitors/{monitor['id']}/series?range=24h")

    assert response.status_code == 200
    body = response.json()
    assert body["range"] == "24h"
    assert body["bucket_seconds"] is None
    columns = ("t", "response_ms", "dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "failed")
    assert {len(body[c]) for c in columns} == {3}
    assert body["t"] == sorted(body["t"])
    assert body["failed"] == [0, 0, 1]
    assert all(isinstance(v, float) for v in body["response_ms"])
    # The chart spans the whole day it was asked for, however few checks it holds.
    assert body["end"] - body["start"] == 24 * 3600
    assert body["start"] <= body["t"][0] <= body["t"][-1] <= body["end"] + 1


async def test_a_range_beyond_the_plans_history_is_refused_naming_the_plan_that_lifts_it(
    app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client)
    monitor = await create(client, url=target.url)
    await check(client, monitor["id"])

    refused = await client.get(f"/api/v1/monitors/{monitor['id']}/series?range=7d")
    assert refused.status_code == 403
    assert "Pro keeps 90 days" in refused.json()["detail"]
    assert (await client.get(f"/api/v1/monitors/{monitor['id']}/series?range=1y")).status_code == 422

    await set_plan(app, client, "pro")
    week = (await client.get(f"/api/v1/monitors/{monitor['id']}/series?range=7d")).json()
    assert week["bucket_seconds"] == 3600
    assert week["end"] - week["start"] == 7 * 24 * 3600
    assert len(week["t"]) == len(week["response_ms"]) == len(week["p95_ms"]) >= 7 * 24
    assert sum(week["failed"]) == 0
    assert week["response_ms"][-1] is not None
    html = (await client.get(f"/monitors/{monitor['id']}?range=90d")).text
    assert 'series?range=90d"' in html
    assert re.search(r'aria-current="page"[^>]*>90d<', html)


# Forms --------------------------------------------------------------------------------------------


async def test_the_new_monitor_form_defaults_to_the_plans_minimum_interval_and_shows_the_quota(
    client: httpx.AsyncClient,
) -> None:
    await signup(client)
    for n in range(4):
        await create(client, name=f"M{n}", url="https://example.com")

    html = (await client.get("/monitors/new")).text

    assert re.search(r'name="interval_seconds" type="number" class="form-input" value="300"', html)
    assert "4 of 5 monitors &mdash; Pro lifts it" in html
    assert 'name="csrf_token"' in html
    assert "Test now" in html
    assert "checked" in html  # the default channel signup made is pre-selected
    for kind in ("tcp", "dns", "heartbeat"):
        page = (await client.get(f"/monitors/new?type={kind}")).text
        assert f'name="type" value="{kind}"' in page


async def test_a_monitor_created_through_the_form_has_every_field_and_the_default_channel(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    form = form_of(
        name="Checkout",
        url="https://shop.example.com/api",
        method="POST",
        headers="Authorization: Bearer abc\nX-Probe: 1",
        body='{"ping": true}',
        expected_status="200,201",
        keyword="ok",
        json_path="$.status",
        json_expected="up",
        follow_redirects="false",
        verify_tls=["false", "true"],
        public=["false", "true"],
        regions="default",
        csrf_token=csrf(client),
    )

    response = await client.post("/monitors/new", data=form)

    assert response.status_code == 303
    monitor_id = response.headers["location"].removeprefix("/monitors/")
    saved = (await client.get(f"/api/v1/monitors/{monitor_id}")).json()
    assert saved["method"] == "POST"
    assert saved["headers"] == {"Authorization": "****", "X-Probe": "****"}  # the API masks them
    assert await stored_config(app, monitor_id, "headers") == {"Authorization": "Bearer abc", "X-Probe": "1"}
    assert saved["body"] == '{"ping": true}'
    assert saved["expected_status"] == "200,201"
    assert (saved["keyword"], saved["json_path"], saved["json_expected"]) == ("ok", "$.status", "up")
    assert saved["follow_redirects"] is False
    assert saved["verify_tls"] is True
    assert saved["public"] is True
    assert saved["interval_seconds"] == 300
    assert saved["regions"] == ["default"]
    assert len(saved["channel_ids"]) == 1


async def test_form_errors_appear_beside_their_fields_and_nothing_is_saved(client: httpx.AsyncClient) -> None:
    await signup(client)

    bad_url = await client.post(
        "/monitors/new", data=form_of(url="ftp://example.com", csrf_token=csrf(client))
    )
    assert bad_url.status_code == 422
    assert field_error(bad_url.text, "url") == "Url must start with http:// or https://."
    assert 'value="ftp://example.com"' in bad_url.text  # what was typed stays

    too_often = await client.post(
        "/monitors/new", data=form_of(interval_seconds="60", csrf_token=csrf(client)), headers=HTMX
    )
    assert too_often.status_code == 200  # htmx swaps the form with its errors in place
    assert "<header" not in too_often.text  # htmx gets the form alone
    assert (
        field_error(too_often.text, "interval_seconds")
        == "Interval_seconds must be at least 300 on the Free plan; the Pro plan allows 60 s."
    )

    no_token = await client.post("/monitors/new", data=form_of(), headers={"X-CSRF-Token": ""})
    assert no_token.status_code == 403  # no CSRF token: refused before anything
    not_a_number = await client.post(
        "/monitors/new", data=form_of(type="tcp", host="db.example.com", port="x", csrf_token=csrf(client))
    )
    assert field_error(not_a_number.text, "port") == "Enter a whole number."

    no_ssl = await client.post("/monitors/new", data=form_of(ssl_expiry_days="14", csrf_token=csrf(client)))
    assert field_error(no_ssl.text, "ssl_expiry_days") == (
        "SSL expiry monitoring is not included in the Free plan; the Pro plan lifts it."
    )
    assert (await client.get("/api/v1/monitors")).json() == []


async def test_the_sixth_monitor_on_free_is_refused_on_the_form_naming_pro(client: httpx.AsyncClient) -> None:
    await signup(client)
    for n in range(5):
        await create(client, name=f"M{n}", url="https://example.com")

    assert (
        "5 of 5 monitors &mdash; Pro lifts it. Delete one or upgrade"
        in (await client.get("/monitors/new")).text
    )
    response = await client.post("/monitors/new", data=form_of(csrf_token=csrf(client)))
    assert response.status_code == 422
    assert "The Free plan allows 5 monitors; the Pro plan lifts it." in response.text


async def test_editing_changes_the_monitor_and_a_refused_edit_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    await signup(client)
    monitor = await create(client, url="https://example.com", keyword="Welcome")
    edit = await client.get(f"/monitors/{monitor['id']}/edit")
    assert edit.status_code == 200
    assert 'value="Welcome"' in edit.text

    changed = await client.post(
        f"/monitors/{monitor['id']}/edit",
        data=form_of(name="Renamed", url="https://example.com/v2", keyword="", interval_seconds="600",
                     csrf_token=csrf(client)),
    )  # fmt: skip
    assert changed.status_code == 303
    assert changed.headers["location"] == f"/monitors/{monitor['id']}"
    saved = (await client.get(f"/api/v1/monitors/{monitor['id']}")).json()
    assert (saved["name"], saved["url"], saved["keyword"], saved["interval_seconds"]) == (
        "Renamed", "https://example.com/v2", None, 600,
    )  # fmt: skip

    refused = await client.post(
        f"/monitors/{monitor['id']}/edit",
        data=form_of(name="", interval_seconds="900", csrf_token=csrf(client)),
    )
    assert refused.status_code == 422
    assert field_error(refused.text, "name") == "Name must not be empty."
    after = (await client.get(f"/api/v1/monitors/{monitor['id']}")).json()
    assert (after["name"], after["interval_seconds"]) == ("Renamed", 600)


async def test_pause_resume_clone_and_delete_with_confirmation(client: httpx.AsyncClient) -> None:
    await signup(client)
    monitor = await create(client, url="https://example.com", keyword="Welcome")
    path = f"/monitors/{monitor['id']}"

    paused = await client.post(f"{path}/pause", data={"csrf_token": csrf(client)})
    assert paused.status_code == 303
    assert (await client.get(f"/api/v1/monitors/{monitor['id']}")).json()["status"] == "paused"
    assert "Resume</button>" in (await client.get(path)).text
    await client.post(f"{path}/resume", data={"csrf_token": csrf(client)})
    assert (await client.get(f"/api/v1/monitors/{monitor['id']}")).json()["status"] != "paused"

    clone = (await client.get(f"/monitors/new?clone={monitor['id']}")).text
    assert 'value="Copy of Shop"' in clone
    assert 'value="Welcome"' in clone

    confirm = await client.get(f"{path}/delete")
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.text
    deleted = await client.post(f"{path}/delete", data={"csrf_token": csrf(client)})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/dashboard"
    assert (await client.get(path)).status_code == 404


# Test now -----------------------------------------------------------------------------------------


async def test_test_now_runs_the_forms_check_and_shows_the_result_without_saving(
    client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client)

    up = await client.post(
        "/monitors/test", data=form_of(url=target.url, csrf_token=csrf(client)), headers=HTMX
    )
    assert up.status_code == 200
    assert 'id="test-outcome"' in up.text
    assert 'data-ok="true"' in up.text
    assert "HTTP 200" in up.text
    for part in ("DNS", "Connect", "TLS", "First byte"):
        assert part in up.text
    assert "Nothing was saved." in up.text

    target.status = 503
    down = await client.post(
        "/monitors/test", data=form_of(url=target.url, csrf_token=csrf(client)), headers=HTMX
    )
    assert 'data-ok="false"' in down.text
    assert "Unexpected HTTP status code" in down.text

    invalid = await client.post(
        "/monitors/test", data=form_of(url="nope", csrf_token=csrf(client)), headers=HTMX
    )
    assert "Not tested" in invalid.text
    assert "url must start with http" in invalid.text.lower()

    without_js = await client.post("/monitors/test", data=form_of(url=target.url, csrf_token=csrf(client)))
    assert "<header" in without_js.text
    assert 'id="monitor-form"' in without_js.text
    assert f'value="{target.url}"' in without_js.text
    assert 'id="test-outcome"' in without_js.text
    assert (await client.get("/api/v1/monitors")).json() == []
    assert target.hits[""] == 3


async def test_the_test_api_answers_the_result_and_timings_as_json(
    client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client)

    response = await client.post(
        "/api/v1/monitors/test", json={"name": "t", "type": "http", "url": target.url}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True
    assert body["status_code"] == 200
    assert set(body["timings"]) == {"dns_ms", "connect_ms", "tls_ms", "ttfb_ms"}
    assert body["target"] == f"GET {target.url}"
    refused = await client.post("/api/v1/monitors/test", json={"name": "t", "type": "heartbeat"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "type"]


async def test_the_dashboard_links_add_monitor_and_each_monitor_page(client: httpx.AsyncClient) -> None:
    await signup(client)
    monitor = await create(client, url="https://example.com")

    html = (await client.get("/dashboard")).text

    assert 'href="/monitors/new"' in html
    assert f'href="/monitors/{monitor["id"]}"' in html


async def test_check_now_on_the_page_stores_a_check_at_the_top_of_the_log(
    app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client)
    monitor = await create(client, url=target.url)
    page = (await client.get(f"/monitors/{monitor['id']}")).text
    assert f'action="/monitors/{monitor["id"]}/check"' in page
    assert "No checks yet" in page

    done = await client.post(f"/monitors/{monitor['id']}/check", data={"csrf_token": csrf(client)})

    assert done.status_code == 303
    assert done.headers["location"] == f"/monitors/{monitor['id']}#checks-heading"
    page = (await client.get(f"/monitors/{monitor['id']}")).text
    assert "No checks yet" not in page
    assert re.search(r'<tr data-ok="true"', page)
    results = (await client.get(f"/api/v1/monitors/{monitor['id']}/results")).json()
    assert len(results) == 1
    assert results[0]["ok"] is True
    async with make_client(app) as outsider:
        await signup(outsider, organization="Other Org")
        refused = await outsider.post(f"/monitors/{monitor['id']}/check", data={"csrf_token": csrf(outsider)})
        assert refused.status_code == 404
    assert len((await client.get(f"/api/v1/monitors/{monitor['id']}/results")).json()) == 1
