"""The maintenance page (``/maintenance``): windows now, coming and past; create, edit, delete.

The form asks in words (repeat daily, weekly on these days, monthly, or a custom RRULE; until a
date) and writes the RRULE; ``services.maintenances`` and ``domain/recurrence.py`` judge it, and
their messages appear beside the field. Start and end are wall-clock times in the chosen zone.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from statusping.config import Settings
from statusping.domain.errors import NotFound, StatusPingError
from statusping.domain.recurrence import WEEKDAYS
from statusping.services import maintenances as service
from statusping.services.accounts import Account
from statusping.storage.models import Maintenance
from statusping.storage.repositories.monitors import MonitorRepository
from statusping.web.deps import Db, OptionalAccount, SettingsDep, now, require_writer
from statusping.web.pages import page_kit
from statusping.web.policy import policy_of
from statusping.web.rendering import render

router = APIRouter()
PICKABLE_MONITORS = 500
REPEATS = {
    "none": "Does not repeat",
    "daily": "Every day",
    "weekly": "Every week, on the days below",
    "monthly": "Every month, on the start's day",
    "custom": "Custom rule (RRULE)",
}
DAY_NAMES = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


@cache
def time_zones() -> list[str]:
    named = (z for z in available_timezones() if "/" in z and not z.startswith(("posix/", "right/", "Etc/")))
    return ["UTC", *sorted(named)]


def _plan_lifts(settings: Settings, account: Account) -> str | None:
    plan = policy_of(settings).plan_of(account.organization)
    return None if plan is None or plan.maintenance_windows else plan.title


async def _window(db: Db, account: Account, maintenance_id: str) -> Maintenance:
    found = await service.get(db, account.organization, maintenance_id)
    if found is None:
        raise NotFound("maintenance window not found")
    return found


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


@router.get("/maintenance", response_class=HTMLResponse)
async def maintenance_page(
    request: Request, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return page_kit.login(request)
    at = now()
    groups: dict[str, list[dict[str, Any]]] = {"active": [], "upcoming": [], "past": []}
    names = {
        str(m.id): m.name
        for m in await MonitorRepository(db).list_for(
            account.organization.id, limit=PICKABLE_MONITORS, offset=0
        )
    }
    for row in await service.list_for(db, account.organization):
        span = service.as_window(row).next_span(at)
        group = "past" if span is None else "active" if span[0] <= at else "upcoming"
        groups[group].append(
            {
                "row": row,
                "starts": _local(span[0] if span else row.starts_at, row.timezone),
                "ends": _local(span[1] if span else row.ends_at, row.timezone),
                "repeat": _describe(row.rrule),
                "monitors": None
                if row.monitor_ids is None
                else [names.get(i, "a monitor") for i in row.monitor_ids],
            }
        )
    groups["upcoming"].sort(key=lambda item: item["starts"])
    return render(
        request,
        "maintenance.html",
        {
            "groups": groups,
            "lifts": _plan_lifts(settings, account),
            "can_write": page_kit.can_write(account),
        },
        account=account,
    )


def _describe(rrule: str | None) -> str:
    repeat, days, until, _ = _preset_of(rrule)
    if repeat == "none":
        return "Once"
    text = {
        "daily": "Every day",
        "weekly": "Every week" + (" on " + ", ".join(DAY_NAMES[d] for d in days) if days else ""),
        "monthly": "Every month",
        "custom": f"RRULE {rrule}",
    }[repeat]
    return text + (f" until {until}" if until else "")


def _preset_of(rrule: str | None) -> tuple[str, list[str], str, str]:
    """(repeat, weekly days, until as YYYY-MM-DD, custom text) for a stored rule."""
    if not rrule:
        return "none", [], "", ""
    parts = dict(chunk.partition("=")[::2] for chunk in rrule.split(";"))
    until = parts.pop("UNTIL", "")
    until_date = f"{until[:4]}-{until[4:6]}-{until[6:8]}" if len(until) == 8 and until.isdigit() else ""
    if until and not until_date:
        return "custom", [], "", rrule
    freq = parts.pop("FREQ", "")
    days = parts.pop("BYDAY", "")
    plain_days = [d for d in days.split(",") if d in WEEKDAYS] if days else []
    if not parts and freq == "WEEKLY" and len(plain_days) == len(days.split(",") if days else []):
        return "weekly", plain_days, until_date, ""
    if not parts and not days and freq in ("DAILY", "MONTHLY"):
        return freq.lower(), [], until_date, ""
    return "custom", [], "", rrule


def _recurrence(fields: page_kit.Fields) -> str | None:
    repeat = fields.text("repeat") or "none"
    days = [d for d in fields.many("days") if d in WEEKDAYS]
    until = fields.text("until")
    rrule = fields.text("rrule")
    if repeat not in REPEATS:
        fields.errors["repeat"] = "Choose how the window repeats."
        return None
    if repeat == "none":
        return None
    if repeat == "custom":
        if not rrule:
            fields.errors["rrule"] = "Write a rule, like FREQ=WEEKLY;BYDAY=SA;BYHOUR=2."
        return rrule or None
    text = {"daily": "FREQ=DAILY", "weekly": "FREQ=WEEKLY", "monthly": "FREQ=MONTHLY"}[repeat]
    if repeat == "weekly" and days:
        text += ";BYDAY=" + ",".join(d for d in WEEKDAYS if d in days)
    if until:
        try:
            text += ";UNTIL=" + date.fromisoformat(until).strftime("%Y%m%d")
        except ValueError:
            fields.errors["until"] = "Enter a date, like 2026-12-31."
    return text


def _when(fields: page_kit.Fields, name: str) -> datetime | None:
    text = fields.text(name)
    try:
        return datetime.strptime(text, LOCAL_FORMAT)
    except ValueError:
        fields.errors[name] = "Enter a date and time, like 2026-05-01 02:00."
        return None


def _parse(fields: page_kit.Fields) -> dict[str, Any]:
    parsed: dict[str, Any] = {
        "title": fields.text("title"),
        "timezone": fields.text("timezone"),
        "starts_at": _when(fields, "starts_at"),
        "ends_at": _when(fields, "ends_at"),
        "recurrence": _recurrence(fields),
    }
    scope = fields.text("scope")
    chosen = fields.many("monitor_ids")
    if scope == "some":
        parsed["monitor_ids"] = chosen  # empty: the service says to pick at least one
    else:
        parsed["monitor_ids"] = None
    return parsed


async def _form_context(
    db: Db, settings: Settings, account: Account, window: Maintenance | None
) -> dict[str, Any]:
    monitors = await MonitorRepository(db).list_for(
        account.organization.id, limit=PICKABLE_MONITORS, offset=0
    )
    return {
        "window": window,
        "zones": time_zones(),
        "repeats": REPEATS,
        "day_names": DAY_NAMES,
        "monitors": monitors,
        "lifts": _plan_lifts(settings, account),
        "can_write": page_kit.can_write(account),
    }


def _values_of(window: Maintenance) -> dict[str, Any]:
    repeat, days, until, custom = _preset_of(window.rrule)
    return {
        "title": window.title,
        "timezone": window.timezone,
        "starts_at": _local(window.starts_at, window.timezone).strftime(LOCAL_FORMAT),
        "ends_at": _local(window.ends_at, window.timezone).strftime(LOCAL_FORMAT),
        "repeat": repeat,
        "days": days,
        "until": until,
        "rrule": custom,
        "scope": "all" if window.monitor_ids is None else "some",
        "monitor_ids": window.monitor_ids or [],
    }


@router.get("/maintenance/new", response_class=HTMLResponse)
async def new_window(request: Request, account: OptionalAccount, db: Db, settings: SettingsDep) -> Response:
    if account is None:
        return page_kit.login(request)
    context = await _form_context(db, settings, account, None)
    values = {
        "timezone": account.organization.timezone,
        "repeat": "none",
        "scope": "all",
        "days": [],
        "monitor_ids": [],
    }
    context.update(values=values, errors={})
    return render(request, "maintenance_form.html", context, account=account)


FIELD_NAMES = {"recurrence": "repeat", "title": "title", "starts_at": "starts_at", "ends_at": "ends_at",
               "timezone": "timezone", "monitor_ids": "monitor_ids"}  # fmt: skip


async def _save(
    request: Request, account: Account, db: Db, settings: Settings, window: Maintenance | None
) -> Response:
    await require_writer(account)
    fields = page_kit.Fields(await request.form())
    parsed = _parse(fields)
    errors = dict(fields.errors)
    if not errors:
        try:
            if window is None:
                await service.create(db, account.organization, parsed, policy_of(settings), now())
            else:
                await service.update(db, account.organization, window, parsed, policy_of(settings), now())
        except StatusPingError as exc:
            names = {
                **FIELD_NAMES,
                "recurrence": "rrule" if fields.values.get("repeat") == "custom" else "repeat",
            }
            errors = page_kit.error_of(exc, names, {"starts_at": "the start", "ends_at": "the end"})
        else:
            return page_kit.go(request, "/maintenance")
        await page_kit.discard(db)
        if window is not None:
            window = await _window(db, account, str(window.id))
    context = await _form_context(db, settings, account, window)
    context.update(values=fields.values, errors=errors)
    return page_kit.form_answer(
        request, account, "maintenance_form.html", "partials/maintenance_form.html", context, failed=True
    )


@router.post("/maintenance/new")
async def create_window(
    request: Request, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return page_kit.login(request)
    return await _save(request, account, db, settings, None)


@router.get("/maintenance/{maintenance_id}/edit", response_class=HTMLResponse)
async def edit_window(
    request: Request, maintenance_id: str, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return page_kit.login(request)
    window = await _window(db, account, maintenance_id)
    context = await _form_context(db, settings, account, window)
    context.update(values=_values_of(window), errors={})
    return render(request, "maintenance_form.html", context, account=account)


@router.post("/maintenance/{maintenance_id}/edit")
async def update_window(
    request: Request, maintenance_id: str, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return page_kit.login(request)
    return await _save(request, account, db, settings, await _window(db, account, maintenance_id))


@router.get("/maintenance/{maintenance_id}/delete", response_class=HTMLResponse)
async def confirm_delete(request: Request, maintenance_id: str, account: OptionalAccount, db: Db) -> Response:
    if account is None:
        return page_kit.login(request)
    window = await _window(db, account, maintenance_id)
    return render(
        request,
        "maintenance_delete.html",
        {"window": window, "can_write": page_kit.can_write(account)},
        account=account,
    )


@router.post("/maintenance/{maintenance_id}/delete")
async def delete_window(request: Request, maintenance_id: str, account: OptionalAccount, db: Db) -> Response:
    if account is None:
        return page_kit.login(request)
    await require_writer(account)
    await service.delete(db, await _window(db, account, maintenance_id), now())
    return page_kit.go(request, "/maintenance")
