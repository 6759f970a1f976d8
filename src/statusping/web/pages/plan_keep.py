"""Choosing which monitors stay active after a downgrade (``/settings/plan/keep``).

A downgrade pauses the newest monitors over the plan's limit (services/plans.py); this page lets the
person decide instead: one checkbox per monitor in play, at most the plan's limit checked, one plain
POST form (static/js/plan_keep.js only counts the ticks and holds the limit as they click). The
dashboard shows a notice linking here while any monitor is paused by the plan.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from statusping.config import Settings
from statusping.domain.errors import StatusPingError
from statusping.domain.plans import PLANS, Plan
from statusping.services import plans
from statusping.services.accounts import Account
from statusping.storage.models import Monitor, Organization
from statusping.storage.repositories.monitors import MonitorRepository
from statusping.web.deps import Db, OptionalAccount, SettingsDep, now, require_writer
from statusping.web.pages import page_kit
from statusping.web.policy import policy_of
from statusping.web.rendering import render

router = APIRouter()
PATH = "/settings/plan/keep"
ALL = 1_000_000


@dataclass(frozen=True, slots=True)
class PlanNotice:
    """The dashboard's notice while monitors are paused by the plan."""

    paused: int
    plan: Plan
    upgrade: Plan | None


async def plan_notice(db: Db, settings: Settings, org: Organization) -> PlanNotice | None:
    plan = policy_of(settings).plan_of(org)
    if plan is None:
        return None
    paused = await plans.paused_by_plan(db, org)
    if not paused:
        return None
    return PlanNotice(paused, plan, _upgrade(plan))


def _upgrade(plan: Plan) -> Plan | None:
    limit = plan.max_monitors
    better = [
        p
        for p in PLANS.values()
        if p.price_usd_month > plan.price_usd_month
        and limit is not None
        and (p.max_monitors is None or p.max_monitors > limit)
    ]
    return better[0] if better else None


def _state(monitor: Monitor) -> str:
    if monitor.paused_by_plan:
        return "plan"
    return "paused" if monitor.paused else "active"


async def _context(db: Db, settings: Settings, account: Account, request: Request) -> dict[str, Any]:
    plan = policy_of(settings).plan_of(account.organization)
    monitors = await MonitorRepository(db).list_for(account.organization.id, limit=ALL, offset=0)
    rows = [{"id": str(m.id), "name": m.name, "type": m.type, "state": _state(m)} for m in monitors]
    in_play = [r for r in rows if r["state"] != "paused"]
    return {
        "plan": plan,
        "limit": plan.max_monitors if plan else None,
        "upgrade": _upgrade(plan) if plan else None,
        "in_play": in_play,
        "paused_by_you": [r for r in rows if r["state"] == "paused"],
        "chosen": {r["id"] for r in in_play if r["state"] == "active"},
        "can_write": page_kit.can_write(account),
        "errors": {},
        "saved": request.query_params.get("saved"),
        "counts": {k: request.query_params.get(k) for k in ("resumed", "paused")},
    }


@router.get(PATH, response_class=HTMLResponse)
async def keep_page(request: Request, account: OptionalAccount, db: Db, settings: SettingsDep) -> Response:
    if account is None:
        return page_kit.login(request)
    return render(request, "plan_keep.html", await _context(db, settings, account, request), account=account)


@router.post(PATH)
async def keep_submit(request: Request, account: OptionalAccount, db: Db, settings: SettingsDep) -> Response:
    if account is None:
        return page_kit.login(request)
    await require_writer(account)
    fields = page_kit.Fields(await request.form())
    chosen = fields.many("monitor_ids")
    try:
        keys = [uuid.UUID(value) for value in chosen]
    except ValueError:
        keys = None
    error: dict[str, str] | None = {"_form": "Choose monitors from the list."} if keys is None else None
    if keys is not None:
        try:
            plan = policy_of(settings).plan_of(account.organization)
            done = await plans.keep_active(db, account.organization, keys, plan, now())
        except StatusPingError as exc:
            await page_kit.discard(db)
            error = page_kit.error_of(exc)
        else:
            counts = f"resumed={len(done.resumed)}&paused={len(done.paused)}"
            return page_kit.go(request, f"{PATH}?saved=1&{counts}")
    context = await _context(db, settings, account, request)
    context.update(errors=error or {}, chosen=set(chosen))
    return render(request, "plan_keep.html", context, account=account, status_code=422)
