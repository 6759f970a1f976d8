"""After a downgrade the person chooses which monitors stay active (issue 11): the dashboard says how
many the plan paused and links to /settings/plan/keep, where ticking others swaps them — the chosen
resume, the rest are paused by the plan (an upgrade resumes them), never more than the limit.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from statusping.services.plans import set_plan_by_slug
from statusping.storage.models import Membership, Monitor, Organization
from tests.conftest import make_client
from tests.support import signup

NOW = datetime.now(UTC)


async def set_plan(app: FastAPI, slug: str, plan: str) -> None:
    async with app.state.sessionmaker() as db, db.begin():
        await set_plan_by_slug(db, slug=slug, plan=plan, now=datetime.now(UTC))


async def downgraded_org(app: FastAPI, client: httpx.AsyncClient, count: int = 7) -> dict[str, Any]:
    """``count`` heartbeat monitors made on Business an hour apart (m0 oldest), then moved to Free."""
    me = await signup(client, organization=f"Keep Org {uuid.uuid4().hex[:6]}")
    slug = me["organization"]["slug"]
    await set_plan(app, slug, "business")
    ids = []
    for i in range(count):
        body = {"name": f"m{i}", "type": "heartbeat", "interval_seconds": 3600, "grace_seconds": 60}
        created = await client.post("/api/v1/monitors", json=body)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    async with app.state.sessionmaker() as db, db.begin():
        for i, monitor_id in enumerate(ids):
            await db.execute(
                update(Monitor)
                .where(Monitor.id == uuid.UUID(monitor_id))
                .values(created_at=NOW - timedelta(hours=count - i))
            )
    await set_plan(app, slug, "free")
    return {"slug": slug, "ids": ids}


async def states(app: FastAPI, ids: list[str]) -> list[str]:
    """Each monitor as "active", "plan" (paused by the plan) or "paused" (by the person)."""
    async with app.state.sessionmaker() as db:
        rows = {
            str(m.id): m
            for m in await db.scalars(select(Monitor).where(Monitor.id.in_([uuid.UUID(i) for i in ids])))
        }
    return ["plan" if rows[i].paused_by_plan else "paused" if rows[i].paused else "active" for i in ids]


def ticked(page: str) -> list[str]:
    return re.findall(r'name="monitor_ids" value="([^"]+)" class="[^"]*" checked', page)


async def test_the_dashboard_links_to_the_choice_while_monitors_are_paused_by_the_plan(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    org = await downgraded_org(app, client)
    dashboard = await client.get("/dashboard")
    assert 'id="plan-notice"' in dashboard.text
    assert "2 monitors are paused" in dashboard.text
    assert 'href="/settings/plan/keep"' in dashboard.text
    page = await client.get("/settings/plan/keep")
    assert page.status_code == 200
    assert "checks up to <strong>5</strong> monitors" in page.text
    assert ticked(page.text) == org["ids"][:5]  # the newest two were paused


async def test_choosing_swaps_which_monitors_run(app: FastAPI, client: httpx.AsyncClient) -> None:
    org = await downgraded_org(app, client)
    ids = org["ids"]
    keep = [ids[0], ids[1], ids[2], ids[5], ids[6]]  # the two newest back, m3 and m4 out
    saved = await client.post("/settings/plan/keep", data={"monitor_ids": keep})
    assert saved.status_code == 303
    assert await states(app, ids) == ["active", "active", "active", "plan", "plan", "active", "active"]
    notice = await client.get(saved.headers["location"])
    assert "2 monitors resumed, 2 paused by the plan" in notice.text
    assert sorted(ticked(notice.text)) == sorted(keep)
    async with app.state.sessionmaker() as db:
        resumed = await db.get(Monitor, uuid.UUID(ids[6]))
        assert resumed is not None
        assert resumed.next_check_at is not None  # the engine checks it again
    # An upgrade resumes the ones the plan paused, whoever chose them.
    await set_plan(app, org["slug"], "pro")
    assert await states(app, ids) == ["active"] * 7
    assert 'id="plan-notice"' not in (await client.get("/dashboard")).text


async def test_more_than_the_limit_is_refused_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    org = await downgraded_org(app, client)
    ids = org["ids"]
    before = await states(app, ids)
    refused = await client.post("/settings/plan/keep", data={"monitor_ids": ids[:6]})
    assert refused.status_code == 422
    assert "The Free plan allows 5 active monitors; the Pro plan lifts it." in refused.text
    assert await states(app, ids) == before
    foreign = await client.post("/settings/plan/keep", data={"monitor_ids": [str(uuid.uuid4())]})
    assert foreign.status_code == 422
    assert "Monitor not found." in foreign.text
    garbage = await client.post("/settings/plan/keep", data={"monitor_ids": ["not-an-id"]})
    assert garbage.status_code == 422
    assert await states(app, ids) == before


async def test_a_monitor_paused_by_its_owner_stays_out_of_the_choice(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    org = await downgraded_org(app, client, count=6)
    ids = org["ids"]
    assert (await client.post(f"/api/v1/monitors/{ids[0]}/pause")).status_code == 200
    page = await client.get("/settings/plan/keep")
    assert "Paused by you" in page.text
    assert f'value="{ids[0]}"' not in page.text
    refused = await client.post("/settings/plan/keep", data={"monitor_ids": [ids[0]]})
    assert refused.status_code == 422
    assert (await states(app, ids))[0] == "paused"
    kept = await client.post("/settings/plan/keep", data={"monitor_ids": ids[1:6]})
    assert kept.status_code == 303
    assert await states(app, ids) == ["paused", "active", "active", "active", "active", "active"]


async def test_another_organization_cannot_touch_these_monitors(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    org = await downgraded_org(app, client)
    async with make_client(app) as stranger:
        await signup(stranger, organization="Other Co")
        refused = await stranger.post("/settings/plan/keep", data={"monitor_ids": org["ids"][5:]})
        assert refused.status_code == 422
        assert "Monitor not found." in refused.text
    assert await states(app, org["ids"]) == ["active"] * 5 + ["plan"] * 2


async def test_a_viewer_sees_the_choice_but_cannot_make_it(app: FastAPI, client: httpx.AsyncClient) -> None:
    org = await downgraded_org(app, client)
    async with app.state.sessionmaker() as db, db.begin():
        org_id = select(Organization.id).where(Organization.slug == org["slug"]).scalar_subquery()
        await db.execute(update(Membership).where(Membership.organization_id == org_id).values(role="viewer"))
    page = await client.get("/settings/plan/keep")
    assert "Viewers cannot change which monitors run." in page.text
    refused = await client.post("/settings/plan/keep", data={"monitor_ids": org["ids"][2:]})
    assert refused.status_code == 403
    assert await states(app, org["ids"]) == ["active"] * 5 + ["plan"] * 2


async def test_the_api_swaps_the_active_monitors_too(app: FastAPI, client: httpx.AsyncClient) -> None:
    org = await downgraded_org(app, client)
    ids = org["ids"]
    url = "/api/v1/organization/active-monitors"
    over = await client.put(url, json={"monitor_ids": ids[:6]})
    assert over.status_code == 403
    assert over.json() == {"detail": "the Free plan allows 5 active monitors; the Pro plan lifts it"}
    foreign = await client.put(url, json={"monitor_ids": [*ids[:4], str(uuid.uuid4())]})
    assert foreign.status_code == 404
    assert await states(app, ids) == ["active"] * 5 + ["plan"] * 2
    swapped = await client.put(url, json={"monitor_ids": ids[2:]})
    assert swapped.status_code == 200, swapped.text
    assert swapped.json() == {"resumed": ids[5:], "paused": ids[:2]}
    assert await states(app, ids) == ["plan", "plan"] + ["active"] * 5
    listed = {m["id"]: m for m in (await client.get("/api/v1/monitors")).json()}
    assert listed[ids[0]]["paused_by_plan"] is True
    assert listed[ids[6]]["status"] != "paused"
    assert (await client.post(f"/api/v1/monitors/{ids[2]}/pause")).status_code == 200
    mine = await client.put(url, json={"monitor_ids": [ids[2]]})
    assert mine.status_code == 422


async def test_without_a_limit_there_is_nothing_to_choose(app: FastAPI, client: httpx.AsyncClient) -> None:
    org = await downgraded_org(app, client)
    await set_plan(app, org["slug"], "business")
    page = await client.get("/settings/plan/keep")
    assert "The Business plan has no monitor limit" in page.text
    refused = await client.put("/api/v1/organization/active-monitors", json={"monitor_ids": org["ids"][:1]})
    assert refused.status_code == 422
    assert await states(app, org["ids"]) == ["active"] * 7


async def test_settings_counts_the_monitors_the_plan_paused(app: FastAPI, client: httpx.AsyncClient) -> None:
    async with make_client(app) as fresh:  # nothing paused: nothing to choose, no link to a choice
        await signup(fresh, organization=f"Fresh {uuid.uuid4().hex[:6]}")
        page = await fresh.get("/settings")
        assert "0 of 5 monitors" in page.text
        assert 'href="/settings/plan/keep"' not in page.text
    org = await downgraded_org(app, client)
    page = await client.get("/settings")
    assert "7 of 5 monitors" in page.text
    assert "2 paused by the plan" in page.text
    assert 'href="/settings/plan/keep"' in page.text
    await set_plan(app, org["slug"], "business")
    page = await client.get("/settings")
    assert "7 monitors (no limit)" in page.text  # not "7 of Unlimited"
    assert "paused by the plan" not in page.text
