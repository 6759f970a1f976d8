"""A downgrade never deletes data and an upgrade takes effect at once (PRODUCT.md §6, issue 11).

Real rows, the real services, the real dispatcher and retention job; ``now`` is passed explicitly.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update

from statusping.config import Settings
from statusping.domain.plans import get_plan
from statusping.engine.retention import prune
from statusping.engine.setup import retention_rules
from statusping.notifications.dispatcher import SUSPENDED_BY_PLAN
from statusping.services.plans import PlanChange, set_plan_by_slug
from statusping.storage.models import DailyRollup, Monitor
from statusping.storage.repositories.results import ResultsRepository
from tests.alerting import create_channel, notifications, running_dispatcher
from tests.notifications.test_delivery import outage
from tests.support import eventually, signup

NOW = datetime.now(UTC).replace(microsecond=0)
DAYS_OF_HISTORY = 200


async def set_plan(app: FastAPI, slug: str, plan: str, now: datetime = NOW) -> PlanChange:
    async with app.state.sessionmaker() as db, db.begin():
        return await set_plan_by_slug(db, slug=slug, plan=plan, now=now)


async def business_org(app: FastAPI, client: httpx.AsyncClient) -> dict[str, Any]:
    """7 monitors (the oldest at 30 s, alerting an Apprise channel), 200 days of daily rollups each."""
    me = await signup(client, organization=f"Plan Org {uuid.uuid4().hex[:6]}")
    slug = me["organization"]["slug"]
    await set_plan(app, slug, "business")
    chat = await create_channel(
        client, name="Chat", kind="apprise", config={"url": "ntfy://ntfy.sh/ops-alerts"}
    )
    ids = []
    for i in range(7):
        body = {
            "name": f"m{i}",
            "type": "http",
            "url": f"https://m{i}.example.com",
            "interval_seconds": 30 if i == 0 else 120,
        }
        created = await client.post("/api/v1/monitors", json=body)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    put = await client.put(f"/api/v1/monitors/{ids[0]}/alerts", json={"channel_ids": [chat["id"]]})
    assert put.status_code == 200, put.text
    async with app.state.sessionmaker() as db, db.begin():
        for i, monitor_id in enumerate(ids):  # created an hour apart, oldest first
            key = uuid.UUID(monitor_id)
            await db.execute(
                update(Monitor)
                .where(Monitor.id == key)
                .values(created_at=NOW - timedelta(days=300, hours=7 - i))
            )
            for age in range(2, DAYS_OF_HISTORY + 2):
                day = (NOW - timedelta(days=age)).replace(hour=0, minute=0, second=0)
                db.add(DailyRollup(monitor_id=key, region="default", bucket_start=day, checks=10))
    return {"slug": slug, "ids": ids, "chat": chat}


async def rollups(app: FastAPI, monitor_id: str) -> int:
    async with app.state.sessionmaker() as db:
        count = await db.scalar(
            select(func.count())
            .select_from(DailyRollup)
            .where(DailyRollup.monitor_id == uuid.UUID(monitor_id))
        )
        return int(count or 0)


async def monitors(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/v1/monitors")
    assert response.status_code == 200, response.text
    body = response.json()
    rows = body["items"] if isinstance(body, dict) else body
    return {m["id"]: m for m in rows}


async def test_a_downgrade_pauses_raises_suspends_and_keeps_history_and_an_upgrade_restores_it(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    org = await business_org(app, client)
    ids, chat = org["ids"], org["chat"]

    change = await set_plan(app, org["slug"], "free")

    assert [str(m.id) for m in change.paused] == [ids[6], ids[5]]  # newest first
    shown = await monitors(client)
    assert [i for i in ids if shown[i]["status"] != "paused"] == ids[:5]
    assert all(shown[i]["paused_by_plan"] for i in ids[5:])
    assert not any(shown[i]["paused_by_plan"] for i in ids[:5])
    assert all(m["interval_seconds"] >= 300 for m in shown.values())
    channels = {c["id"]: c for c in (await client.get("/api/v1/channels")).json()}
    assert channels[chat["id"]]["suspended_by_plan"] is True
    # A free organization with 7 monitors cannot create an eighth.
    extra = {"name": "x", "type": "http", "url": "https://x.example.com", "interval_seconds": 300}
    assert (await client.post("/api/v1/monitors", json=extra)).status_code == 403
    # Too short an interval names the plan that lifts the minimum.
    too_short = await client.patch(f"/api/v1/monitors/{ids[0]}", json={"interval_seconds": 60})
    assert too_short.status_code == 422
    assert too_short.json()["detail"][0]["msg"] == (
        "interval_seconds must be at least 300 on the Free plan; the Pro plan allows 60 s"
    )

    # An outage on the monitor that alerted the Apprise channel: recorded as not sent, with why.
    await outage(app, ids[0])
    async with running_dispatcher(app):
        sent = await eventually(
            lambda: _settled(client, chat["id"]),
        )
    assert sent["status"] == "failed"
    assert sent["attempts"] == 1
    assert sent["last_error"] == SUSPENDED_BY_PLAN

    # Retention right after the downgrade deletes nothing: 200 days stay, hidden by the window.
    before = await rollups(app, ids[0])
    assert before >= DAYS_OF_HISTORY  # the outage added today's
    await prune(app.state.sessionmaker, retention_rules(settings), owner="plan-test", now=NOW)
    assert await rollups(app, ids[0]) == before
    hidden = (await client.get(f"/api/v1/monitors/{ids[0]}/uptime")).json()
    assert hidden["90d"] is None
    assert hidden["365d"] is None

    change = await set_plan(app, org["slug"], "business", NOW + timedelta(days=3))

    assert sorted(str(m.id) for m in change.resumed) == sorted(ids[5:])
    shown = await monitors(client)
    assert not any(m["status"] == "paused" or m["paused_by_plan"] for m in shown.values())
    assert shown[ids[0]]["interval_seconds"] == 30  # the raised interval is put back
    assert shown[ids[1]]["interval_seconds"] == 120
    channels = {c["id"]: c for c in (await client.get("/api/v1/channels")).json()}
    assert channels[chat["id"]]["suspended_by_plan"] is False
    visible = (await client.get(f"/api/v1/monitors/{ids[0]}/uptime")).json()
    assert visible["365d"]["checks"] >= 10 * (DAYS_OF_HISTORY - 2)
    assert visible["90d"]["checks"] >= 10 * 85


async def _settled(client: httpx.AsyncClient, channel_id: str) -> dict[str, Any] | None:
    for row in await notifications(client):
        if row["channel"]["id"] == channel_id and row["status"] != "pending":
            return row
    return None


async def test_setting_the_same_plan_twice_changes_nothing_more(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    org = await business_org(app, client)
    first = await set_plan(app, org["slug"], "free")
    again = await set_plan(app, org["slug"], "free")
    assert len(first.paused) == 2
    assert again.summary() == []
    assert get_plan(again.new_plan).max_monitors == 5


async def test_after_a_downgrade_a_paused_monitor_resumes_only_when_another_makes_room(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    org = await business_org(app, client)
    ids = org["ids"]
    await set_plan(app, org["slug"], "free")

    refused = await client.post(f"/api/v1/monitors/{ids[6]}/resume")
    assert refused.status_code == 403
    assert "the Free plan allows 5 active monitors" in refused.json()["detail"]
    assert "Pro plan lifts it" in refused.json()["detail"]
    bulk = await client.post(
        "/dashboard/bulk",
        data={"action": "resume", "ids": [ids[5], ids[6]], "csrf_token": client.cookies["statusping_csrf"]},
    )
    assert bulk.status_code == 403
    shown = await monitors(client)
    assert sum(m["status"] != "paused" for m in shown.values()) == 5

    assert (await client.post(f"/api/v1/monitors/{ids[0]}/pause")).status_code == 200
    resumed = await client.post(f"/api/v1/monitors/{ids[6]}/resume")
    assert resumed.status_code == 200, resumed.text
    shown = await monitors(client)
    assert shown[ids[6]]["status"] != "paused"
    assert shown[ids[0]]["status"] == "paused"
    assert sum(m["status"] != "paused" for m in shown.values()) == 5


async def test_results_beyond_the_plan_window_are_hidden_after_a_downgrade_and_shown_after_an_upgrade(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    org = await business_org(app, client)
    monitor_id = uuid.UUID(org["ids"][0])
    at = datetime.now(UTC).replace(microsecond=0)
    result = {
        "monitor_id": monitor_id, "region": "default", "status_code": 200, "response_ms": 12.0,
        "dns_ms": None, "connect_ms": 1.0, "tls_ms": None, "ttfb_ms": 9.0,
    }  # fmt: skip
    async with app.state.sessionmaker() as db, db.begin():
        num = await db.scalar(select(Monitor.num).where(Monitor.id == monitor_id))
        assert num is not None
        recent = {**result, "checked_at": at - timedelta(hours=1), "ok": True, "error_kind": None}
        old = {**result, "checked_at": at - timedelta(days=3), "ok": False, "error_kind": "status"}
        await ResultsRepository(db).insert(
            [recent, old, {**old, "checked_at": at - timedelta(days=4)}], {monitor_id: num}
        )

    async def shown() -> tuple[list[str], int]:
        api = await client.get(f"/api/v1/monitors/{monitor_id}/results")
        assert api.status_code == 200, api.text
        since = (at - timedelta(days=5)).isoformat()
        asked = await client.get(f"/api/v1/monitors/{monitor_id}/results", params={"since": since})
        assert asked.json() == api.json()  # an early ?since= reaches no further back
        page = await client.get(f"/monitors/{monitor_id}")
        assert page.status_code == 200
        return [r["checked_at"] for r in api.json()], page.text.count('data-ok="false"')

    assert await shown() == (
        [_iso(at - timedelta(hours=1)), _iso(at - timedelta(days=3)), _iso(at - timedelta(days=4))],
        2,
    )
    await set_plan(app, org["slug"], "free", at)
    assert await shown() == ([_iso(at - timedelta(hours=1))], 0)  # the Free plan shows 24 hours
    await set_plan(app, org["slug"], "business", at)
    assert len((await shown())[0]) == 3  # kept all along: the upgrade shows them again


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
