"""Planned maintenance windows (business plan): no alerts, status `maintenance`, out of uptime."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.errors import Forbidden, InvalidInput
from statusping.domain.maintenance import Window, plan
from statusping.services import subscribers
from statusping.services.monitors import Policy
from statusping.storage.models import Maintenance, Organization
from statusping.storage.repositories.maintenances import MaintenanceRepository

SCHEDULE_FIELDS = ("starts_at", "ends_at", "recurrence", "timezone")


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
    found = await MaintenanceRepository(db).monitor_ids_of(org.id, keys)
    missing = [str(k) for k in keys if k not in found]
    if missing:
        raise InvalidInput(f"unknown monitor id {missing[0]!r}", field="monitor_ids")
    return sorted({str(k) for k in keys})


async def create(
    db: AsyncSession, org: Organization, fields: dict[str, Any], policy: Policy, now: datetime
) -> Maintenance:
    check_plan(org, policy)
    zone = fields.get("timezone") or org.timezone
    schedule = plan(fields["starts_at"], fields["ends_at"], fields.get("recurrence"), zone, now)
    maintenance = Maintenance(
        organization_id=org.id,
        title=_title(fields.get("title")),
        starts_at=schedule.starts_at,
        ends_at=schedule.ends_at,
        rrule=schedule.rrule,
        timezone=schedule.timezone,
        series_ends_at=schedule.ends_for_good,
        monitor_ids=await _check_monitor_ids(db, org, fields.get("monitor_ids")),
        created_at=now,
    )
    MaintenanceRepository(db).add(maintenance)
    await db.flush()
    await _tell_subscribers(db, maintenance, now, "scheduled")
    return maintenance


async def update(
    db: AsyncSession,
    org: Organization,
    maintenance: Maintenance,
    fields: dict[str, Any],
    policy: Policy,
    now: datetime,
) -> Maintenance:
    """Change what ``fields`` names; the schedule is checked again only when part of it changes,
    so renaming a window whose series has ended still works."""
    check_plan(org, policy)
    if any(name in fields for name in SCHEDULE_FIELDS):
        schedule = plan(
            fields.get("starts_at") or maintenance.starts_at,
            fields.get("ends_at") or maintenance.ends_at,
            fields.get("recurrence", maintenance.rrule),
            fields.get("timezone") or maintenance.timezone,
            now,
        )
        maintenance.starts_at, maintenance.ends_at = schedule.starts_at, schedule.ends_at
        maintenance.rrule, maintenance.timezone = schedule.rrule, schedule.timezone
        maintenance.series_ends_at = schedule.ends_for_good
    if "title" in fields:
        maintenance.title = _title(fields["title"])
    if "monitor_ids" in fields:
        maintenance.monitor_ids = await _check_monitor_ids(db, org, fields["monitor_ids"])
    await db.flush()
    if any(name in fields for name in (*SCHEDULE_FIELDS, "monitor_ids")):
        await _tell_subscribers(db, maintenance, now, "rescheduled")
    return maintenance


async def _tell_subscribers(db: AsyncSession, maintenance: Maintenance, now: datetime, event: str) -> None:
    """Status page subscribers hear of a window when it is scheduled, rescheduled or cancelled, and
    again when it starts (services/subscribers.py)."""
    span = as_window(maintenance).next_span(now)
    change = subscribers.MaintenanceChange(
        maintenance.id, maintenance.organization_id, maintenance.title, maintenance.monitor_ids,
        span, maintenance.rrule is not None, event,
    )  # fmt: skip
    await subscribers.notify_maintenance(db, change, now)


async def delete(db: AsyncSession, maintenance: Maintenance, now: datetime) -> None:
    """Delete the window; subscribers hear it is cancelled if an occurrence was still to come."""
    await _tell_subscribers(db, maintenance, now, "cancelled")
    await MaintenanceRepository(db).delete(maintenance)


async def list_for(db: AsyncSession, org: Organization) -> list[Maintenance]:
    return list(await MaintenanceRepository(db).list_for(org.id))


async def get(db: AsyncSession, org: Organization, maintenance_id: str) -> Maintenance | None:
    try:
        key = uuid.UUID(maintenance_id)
    except ValueError:
        return None
    return await MaintenanceRepository(db).get(org.id, key)


async def windows_by_org(
    db: AsyncSession, org_ids: set[uuid.UUID], moments: Iterable[datetime]
) -> dict[uuid.UUID, list[Window]]:
    """The windows of ``org_ids`` that can be open between the earliest and latest of ``moments``,
    each expanded once over that range, so every "is it in maintenance then?" after is a lookup."""
    times = list(moments)
    if not times or not org_ids:
        return {}
    start, end = min(times), max(times)
    by_org: dict[uuid.UUID, list[Window]] = {}
    for row in await MaintenanceRepository(db).that_can_be_active(org_ids, start, end):
        by_org.setdefault(row.organization_id, []).append(as_window(row).expanded(start, end))
    return by_org


def as_window(row: Maintenance) -> Window:
    return Window(
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        rrule=row.rrule,
        monitor_ids=None if row.monitor_ids is None else frozenset(row.monitor_ids),
        timezone=row.timezone,
    )


def _title(value: Any) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise InvalidInput("title must not be empty", field="title")
    if len(text) > 200:
        raise InvalidInput("title must be at most 200 characters", field="title")
    return text
