"""Planned maintenance windows (business plan): no alerts, status `maintenance`, out of uptime."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.errors import Forbidden, InvalidInput
from statusping.domain.maintenance import check_window, normalize_rrule
from statusping.services.monitors import Policy
from statusping.storage.models import Maintenance, Monitor, Organization


def check_plan(org: Organization, policy: Policy) -> None:
    plan = policy.plan_of(org)
    if plan is not None and not plan.maintenance_windows:
        raise Forbidden(
            f"maintenance windows are not included in the {plan.title} plan; the Business plan lifts it"
        )


async def _check_monitor_ids(db: AsyncSession, org: Organization, ids: list[str] | None) -> list[str] | None:
    if ids is None:
        return None
    if not ids:
        raise InvalidInput(
            "monitor_ids must list at least one monitor, or be null for all", field="monitor_ids"
        )
    keys = []
    for text in ids:
        try:
            keys.append(uuid.UUID(text))
        except ValueError:
            raise InvalidInput(f"unknown monitor id {text!r}", field="monitor_ids") from None
    found = set(
        await db.scalars(select(Monitor.id).where(Monitor.organization_id == org.id, Monitor.id.in_(keys)))
    )
    missing = [str(k) for k in keys if k not in found]
    if missing:
        raise InvalidInput(f"unknown monitor id {missing[0]!r}", field="monitor_ids")
    return sorted({str(k) for k in keys})


async def create(
    db: AsyncSession, org: Organization, fields: dict[str, Any], policy: Policy, now: datetime
) -> Maintenance:
    check_plan(org, policy)
    starts_at, ends_at = fields["starts_at"], fields["ends_at"]
    starts_at, ends_at = check_window(starts_at, ends_at)
    maintenance = Maintenance(
        organization_id=org.id,
        title=_title(fields.get("title")),
        starts_at=starts_at,
        ends_at=ends_at,
        rrule=normalize_rrule(fields.get("recurrence"), starts_at),
        monitor_ids=await _check_monitor_ids(db, org, fields.get("monitor_ids")),
        created_at=now,
    )
    db.add(maintenance)
    await db.flush()
    return maintenance


async def update(
    db: AsyncSession, org: Organization, maintenance: Maintenance, fields: dict[str, Any], policy: Policy
) -> Maintenance:
    check_plan(org, policy)
    starts_at = fields.get("starts_at") or maintenance.starts_at
    ends_at = fields.get("ends_at") or maintenance.ends_at
    starts_at, ends_at = check_window(starts_at, ends_at)
    if "title" in fields:
        maintenance.title = _title(fields["title"])
    maintenance.starts_at, maintenance.ends_at = starts_at, ends_at
    if "recurrence" in fields:
        maintenance.rrule = normalize_rrule(fields["recurrence"], starts_at)
    elif maintenance.rrule is not None:
        maintenance.rrule = normalize_rrule(maintenance.rrule, starts_at)
    if "monitor_ids" in fields:
        maintenance.monitor_ids = await _check_monitor_ids(db, org, fields["monitor_ids"])
    await db.flush()
    return maintenance


async def list_for(db: AsyncSession, org: Organization) -> list[Maintenance]:
    rows = await db.scalars(
        select(Maintenance).where(Maintenance.organization_id == org.id).order_by(Maintenance.starts_at)
    )
    return list(rows)


async def get(db: AsyncSession, org: Organization, maintenance_id: str) -> Maintenance | None:
    try:
        key = uuid.UUID(maintenance_id)
    except ValueError:
        return None
    return await db.scalar(
        select(Maintenance).where(Maintenance.organization_id == org.id, Maintenance.id == key)
    )


def _title(value: Any) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise InvalidInput("title must not be empty", field="title")
    if len(text) > 200:
        raise InvalidInput("title must be at most 200 characters", field="title")
    return text
