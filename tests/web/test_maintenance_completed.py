"""Issue 10: an ended maintenance window stays in scheduled-maintenances.json as ``completed`` for a
while (as Statuspage's does), and subscribers hear when a window ends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from statusping.storage.models import Organization
from tests.alerting import running_dispatcher
from tests.support import SmtpSink, signup, unique_email
from tests.targets import SwitchableTarget
from tests.web.test_subscribers import _link, _mails_to, _monitor, _page, _text


@pytest.fixture
def settings_overrides(smtp_sink: SmtpSink) -> dict[str, object]:
    return {
        "allow_private_targets": True,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_sink.port,
        "smtp_starttls": False,
    }


async def _business(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Maintenance windows are a Business feature."""
    org_id = (await client.get("/api/v1/me")).json()["organization"]["id"]
    async with app.state.sessionmaker() as db, db.begin():
        org = await db.get(Organization, uuid.UUID(org_id))
        assert org is not None
        org.plan = "business"


async def _window(client: httpx.AsyncClient, title: str, starts: datetime, ends: datetime) -> str:
    created = await client.post(
        "/api/v1/maintenances",
        json={
            "title": title,
            "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(),
            "monitor_ids": None,
        },
    )
    assert created.status_code == 201, created.text
    window_id: str = created.json()["id"]
    return window_id


async def test_ended_windows_are_listed_as_completed_for_two_weeks(
    app: FastAPI, client: httpx.AsyncClient, target: SwitchableTarget
) -> None:
    await signup(client, organization="Past Co")
    slug = await _page(client)
    await _business(app, client)
    await _monitor(client, "Website", target.port)
    now = datetime.now(UTC)
    recent = await _window(client, "Disk swap", now - timedelta(hours=3), now - timedelta(hours=1))
    await _window(client, "Ancient work", now - timedelta(days=20, hours=2), now - timedelta(days=20))
    coming = await _window(client, "Next upgrade", now + timedelta(days=1), now + timedelta(days=1, hours=1))

    listed = (await client.get(f"/s/{slug}/api/v2/scheduled-maintenances.json")).json()[
        "scheduled_maintenances"
    ]
    assert [(m["id"], m["status"]) for m in listed] == [(coming, "scheduled"), (recent, "completed")]
    done = listed[1]
    assert done["resolved_at"] is not None
    assert done["scheduled_until"] == done["resolved_at"]
    assert [u["status"] for u in done["incident_updates"]] == ["completed", "scheduled"]
    assert done["incident_updates"][0]["affected_components"][0]["new_status"] == "operational"
    # The lists of what is coming or running, and the summary, leave it out (as Statuspage's do).
    upcoming = (await client.get(f"/s/{slug}/api/v2/scheduled-maintenances/upcoming.json")).json()
    assert [m["id"] for m in upcoming["scheduled_maintenances"]] == [coming]
    active = (await client.get(f"/s/{slug}/api/v2/scheduled-maintenances/active.json")).json()
    assert active["scheduled_maintenances"] == []
    summary = (await client.get(f"/s/{slug}/api/v2/summary.json")).json()
    assert [m["id"] for m in summary["scheduled_maintenances"]] == [coming]


async def test_subscribers_hear_when_a_window_ends(
    app: FastAPI, client: httpx.AsyncClient, smtp_sink: SmtpSink, target: SwitchableTarget
) -> None:
    await signup(client, organization="Ending Co")
    slug = await _page(client)
    await _business(app, client)
    await _monitor(client, "Website", target.port)
    reader = unique_email("reader")

    async with running_dispatcher(app):
        assert (await client.post(f"/s/{slug}/subscribe", json={"email": reader})).status_code == 202
        (confirmation,) = await _mails_to(smtp_sink, reader, 1)
        assert (await client.get(_link(confirmation, "subscribe/confirm"))).status_code == 200
        starts = datetime.now(UTC) + timedelta(seconds=1)
        ends = starts + timedelta(seconds=2)
        window = await _window(client, "Quick restart", starts, ends)
        (_, scheduled, started, completed) = await _mails_to(smtp_sink, reader, 4)
        assert scheduled["Subject"] == "[Ending Co] Scheduled maintenance: Quick restart"
        assert started["Subject"] == "[Ending Co] Maintenance in progress: Quick restart"
        assert completed["Subject"] == "[Ending Co] Maintenance completed: Quick restart"
        assert "ended at" in _text(completed)
        assert completed["List-Unsubscribe"]
        assert datetime.now(UTC) >= ends.replace(microsecond=0)

        listed = (await client.get(f"/s/{slug}/api/v2/scheduled-maintenances.json")).json()
        assert [(m["id"], m["status"]) for m in listed["scheduled_maintenances"]] == [(window, "completed")]
