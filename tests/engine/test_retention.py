"""History is pruned by plan: storage stops growing once a monitor's windows are full."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update

from statusping.config import Settings
from statusping.engine.retention import prune
from statusping.engine.setup import retention_rules
from statusping.storage.models import (
    CheckError,
    CheckResult,
    DailyRollup,
    HourlyRollup,
    Monitor,
    Organization,
)
from statusping.storage.repositories.results import ResultsRepository
from tests.support import signup

NOW = datetime.now(UTC).replace(microsecond=0)
OK_RESULT = {
    "region": "default", "ok": True, "status_code": 200, "response_ms": 12.5, "dns_ms": None,
    "connect_ms": 1.0, "tls_ms": None, "ttfb_ms": 9.0, "error_kind": None,
}  # fmt: skip


async def seed(app: FastAPI, client: httpx.AsyncClient, plan: str) -> uuid.UUID:
    me = await signup(client, organization=f"Org {plan} {uuid.uuid4().hex[:6]}")
    created = await client.post(
        "/api/v1/monitors",
        json={"name": "x", "type": "http", "url": "https://example.com", "interval_seconds": 300},
    )
    monitor_id = uuid.UUID(created.json()["id"])
    async with app.state.sessionmaker() as db, db.begin():
        await db.execute(
            update(Organization).where(Organization.slug == me["organization"]["slug"]).values(plan=plan)
        )
        num = await db.scalar(select(Monitor.num).where(Monitor.id == monitor_id))
        await ResultsRepository(db).insert(
            [
                {**OK_RESULT, "monitor_id": monitor_id, "checked_at": NOW - age, "error": "slow"}
                for age in (timedelta(hours=1), timedelta(days=2), timedelta(days=8))
            ],
            {monitor_id: num},
        )
        for age in (timedelta(hours=1), timedelta(days=2), timedelta(days=100), timedelta(days=400)):
            bucket = (NOW - age).replace(minute=0, second=0)
            db.add(HourlyRollup(monitor_id=monitor_id, region="default", bucket_start=bucket))
            db.add(DailyRollup(monitor_id=monitor_id, region="default", bucket_start=bucket.replace(hour=0)))
    return monitor_id


async def ages(app: FastAPI, monitor_id: uuid.UUID) -> dict[str, int]:
    async with app.state.sessionmaker() as db:
        num = await db.scalar(select(Monitor.num).where(Monitor.id == monitor_id))
        raw = await db.scalar(
            select(func.count()).select_from(CheckResult).where(CheckResult.monitor_num == num)
        )
        errors = await db.scalar(
            select(func.count()).select_from(CheckError).where(CheckError.monitor_num == num)
        )
        assert errors == raw  # error text goes with its result
        counts = {"raw": int(raw or 0)}
        for name, model in (("hourly", HourlyRollup), ("daily", DailyRollup)):
            counts[name] = int(
                await db.scalar(select(func.count()).select_from(model).where(model.monitor_id == monitor_id))
                or 0
            )
        return counts


async def test_each_plan_keeps_its_history_and_raw_results_at_most_a_week(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    free = await seed(app, client, "free")
    client.cookies.clear()
    business = await seed(app, client, "business")
    deleted = await prune(app.state.sessionmaker, retention_rules(settings), owner="test", now=NOW)
    assert deleted > 0
    # Free: 24 h of everything.
    assert await ages(app, free) == {"raw": 1, "hourly": 1, "daily": 1}
    # Business: raw results for 7 days, rollups for 365.
    assert await ages(app, business) == {"raw": 2, "hourly": 3, "daily": 3}
    # A second pass finds nothing more to do: storage has stopped growing.
    assert await prune(app.state.sessionmaker, retention_rules(settings), owner="test", now=NOW) == 0


async def test_only_one_node_prunes_at_a_time(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await seed(app, client, "free")
    rules = retention_rules(settings)
    assert await prune(app.state.sessionmaker, rules, owner="node-a", now=NOW) > 0
    await seed(app, client, "free")
    # node-a holds the job's lease for a while; node-b leaves the work to it.
    assert await prune(app.state.sessionmaker, rules, owner="node-b", now=NOW) == 0


async def test_the_alert_log_is_kept_ninety_days(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    from statusping.storage.models import AlertEvent

    me = await signup(client)
    org_id = uuid.UUID(me["organization"]["id"])
    async with app.state.sessionmaker() as db, db.begin():
        for age in (timedelta(days=1), timedelta(days=120)):
            db.add(AlertEvent(organization_id=org_id, kind="test", payload={}, created_at=NOW - age))
    await prune(app.state.sessionmaker, retention_rules(settings), owner="test", now=NOW)
    async with app.state.sessionmaker() as db:
        kept = list(await db.scalars(select(AlertEvent.created_at)))
    assert kept == [NOW - timedelta(days=1)]


async def test_a_downgrade_keeps_the_old_plans_history_for_30_days_then_prunes_to_the_new_window(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    from statusping.services.plans import set_plan_by_slug

    monitor_id = await seed(app, client, "business")
    async with app.state.sessionmaker() as db:
        slug = await db.scalar(
            select(Organization.slug)
            .join(Monitor, Monitor.organization_id == Organization.id)
            .where(Monitor.id == monitor_id)
        )
    rules = retention_rules(settings)
    await prune(app.state.sessionmaker, rules, owner="test", now=NOW)  # business: keeps 365 days
    kept = await ages(app, monitor_id)
    async with app.state.sessionmaker() as db, db.begin():
        await set_plan_by_slug(db, slug=str(slug), plan="free", now=NOW)
    # Right after the downgrade and for 30 days, the business window still holds.
    await prune(app.state.sessionmaker, rules, owner="test", now=NOW)
    assert await ages(app, monitor_id) == kept
    await prune(app.state.sessionmaker, rules, owner="test", now=NOW + timedelta(days=29))
    assert await ages(app, monitor_id) == {**kept, "raw": 0}  # raw results live a week on any plan
    # 31 days later the free plan's 24 hours is all that is kept.
    await prune(app.state.sessionmaker, rules, owner="test", now=NOW + timedelta(days=31))
    assert await ages(app, monitor_id) == {"raw": 0, "hourly": 0, "daily": 0}
