"""The monitor page (``/monitors/{id}``, where alert links point) and the monitor forms.

Every form is a plain POST form with the CSRF field that works without JavaScript (303 on
success, the page again with errors beside their fields on failure); with htmx the same routes
answer the form alone, and success navigates with ``HX-Redirect``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from statusping.config import Settings
from statusping.domain.errors import InvalidInput, StatusPingError
from statusping.domain.maintenance import active_for
from statusping.domain.monitors import (
    DEFAULT_TIMEOUT_SECONDS,
    HTTP_METHODS,
    DnsRecordType,
    MonitorType,
    target_of,
)
from statusping.domain.plans import PLANS
from statusping.domain.schedule_cron import expectation_of, expected_before
from statusping.domain.secrets import MONITOR_SECRET_FIELDS, mask_monitor_config, merge_masked
from statusping.services import channels as alerting
from statusping.services import checks, monitor_views, trial_checks
from statusping.services import monitors as service
from statusping.services.accounts import Account
from statusping.services.heartbeats import recent_pings
from statusping.services.maintenances import windows_by_org
from statusping.services.monitor_views import ChartRange
from statusping.services.regions import region_summary
from statusping.storage.models import Monitor
from statusping.storage.repositories.channels import ChannelRepository
from statusping.storage.repositories.monitors import MonitorRepository
from statusping.web.api.v1.monitor_schemas import MonitorCreate, MonitorUpdate, shown_status
from statusping.web.deps import (
    Db,
    EndTransaction,
    OptionalAccount,
    Prober,
    SettingsDep,
    get_current_monitor,
    now,
    require_writer,
)
from statusping.web.pages import monitor_forms
from statusping.web.pages.maintenance import time_zones
from statusping.web.policy import policy_of
from statusping.web.rendering import is_htmx, render

router = APIRouter()

ERROR_KINDS = {
    "timeout": "Timed out: no complete answer within the timeout",
    "dns": "DNS lookup failed: the name did not resolve",
    "connection": "Connection failed: refused, reset or unreachable",
    "tls": "TLS failed: certificate or handshake problem",
    "status": "Unexpected HTTP status code",
    "keyword": "Keyword check failed",
    "json": "JSON value check failed",
    "too_large": "Response too large to check",
    "ssrf_blocked": "Refused: the target is a private or reserved address",
    "heartbeat_missed": "No ping arrived in time",
    "other": "Unexpected error",
}
TYPE_TITLES = {"http": "HTTP(S)", "tcp": "TCP port", "dns": "DNS record", "heartbeat": "Heartbeat (cron job)"}


def _login(request: Request) -> Response:
    return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)


def _go(request: Request, target: str) -> Response:
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _monitor(monitor_id: str, account: Account, db: Db) -> Monitor:
    return await get_current_monitor(monitor_id, account, db)


async def _unmasked(db: Db, account: Account, form: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """The form of a clone or an edit shows secrets masked, as the API does (header values, a
    URL's password); sent back unchanged, they mean the source monitor's stored values."""
    source_id = monitor_forms.last_value(form, "clone_of") or monitor_forms.last_value(form, "monitor_id")
    if not source_id:
        return fields
    source = await _monitor(source_id, account, db)
    if source.type != fields.get("type", source.type):
        return fields
    secret = {k: fields[k] for k in MONITOR_SECRET_FIELDS if k in fields}
    shown = mask_monitor_config(source.config)
    merged = merge_masked(source.config, shown, secret, secret_fields=MONITOR_SECRET_FIELDS)
    return {**fields, **merged}


async def _discard(db: Db) -> None:
    """Undo a refused create or edit: the services flush as they go, and this request answers
    normally (the form with its errors), so the unit of work would otherwise commit half of it.
    Loaded rows are detached first so the page can still render them."""
    db.expunge_all()
    await db.rollback()


# Forms ------------------------------------------------------------------------------------------


async def _form_context(
    db: Db, account: Account, settings: Settings, monitor_type: MonitorType, monitor: Monitor | None
) -> dict[str, Any]:
    """What every rendering of the form needs besides values and errors: choices and plan limits."""
    org = account.organization
    policy = policy_of(settings)
    plan = policy.plan_of(org)
    count = await MonitorRepository(db).count(org.id)
    quota = None
    if plan is not None and plan.max_monitors is not None:
        better = [p for p in PLANS.values() if p.price_usd_month > plan.price_usd_month]
        lifts = next(
            (p for p in better if p.max_monitors is None or p.max_monitors > plan.max_monitors), None
        )
        quota = {
            "used": count,
            "limit": plan.max_monitors,
            "full": count >= plan.max_monitors,
            "lifts": lifts.title if lifts else None,
        }
    ssl_lifts = next((p.title for p in PLANS.values() if p.ssl_expiry), None)
    return {
        "monitor": monitor,
        "monitor_type": monitor_type.value,
        "types": TYPE_TITLES,
        "methods": HTTP_METHODS,
        "record_types": [t.value for t in DnsRecordType],
        "channels": await ChannelRepository(db).list_for(org.id),
        "plan": plan,
        "min_interval": policy.min_interval(org),
        "quota": quota if monitor is None else None,
        "ssl_allowed": plan is None or plan.ssl_expiry,
        "ssl_lifts": ssl_lifts,
        "test_result": None,
        "zones": time_zones(),  # a cron heartbeat's time zone, the organization's by default
        "org_timezone": org.timezone,
    }


def _defaults(min_interval: int, *, planned: bool, channels: list[str]) -> dict[str, Any]:
    # A plan's minimum is what its customers pay for; a self-hosted floor (10 s) is no default.
    interval = min_interval if planned else max(min_interval, 60)
    return {
        "interval_seconds": interval,
        "timeout_seconds": str(DEFAULT_TIMEOUT_SECONDS),
        "failure_threshold": 3,
        "retry_interval_seconds": min(20, interval),
        "method": "GET",
        "expected_status": "200-299",
        "follow_redirects": "true",
        "verify_tls": "true",
        "record_type": "A",
        "grace_seconds": 60,
        "schedule_kind": "interval",
        "degraded_alerts": "true",
        "public": "false",
        "channel_ids": channels,
    }


def _form_response(
    request: Request, account: Account, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    if is_htmx(request):
        # 200 for htmx, as the sign-up form does: the browser logs every 4xx as a console error, and
        # an invalid form is an answer, not a failure. Plain form posts get the 422.
        return render(request, "partials/monitor_form.html", context, account=account)
    return render(request, "monitor_form.html", context, account=account, status_code=status_code)


def _type_of(raw: str | None) -> MonitorType:
    try:
        return MonitorType(raw or "http")
    except ValueError:
        return MonitorType.HTTP


RECENT_PINGS = 20  # on the monitor page; GET /api/v1/monitors/{id}/pings returns up to 100


@router.get("/monitors/new", response_class=HTMLResponse)
async def new_monitor(
    request: Request,
    account: OptionalAccount,
    db: Db,
    settings: SettingsDep,
    type: str | None = None,
    clone: str | None = None,
) -> Response:
    if account is None:
        return _login(request)
    source = await _monitor(clone, account, db) if clone else None
    monitor_type = MonitorType(source.type) if source else _type_of(type)
    context = await _form_context(db, account, settings, monitor_type, None)
    if source is not None:
        linked = (await alerting.channel_ids_of(db, [source.id])).get(source.id, [])
        values = monitor_forms.values_of(source, linked)
        values["name"] = f"Copy of {source.name}"[:100]
    else:
        defaults = [str(c.id) for c in context["channels"] if c.is_default]
        values = _defaults(context["min_interval"], planned=context["plan"] is not None, channels=defaults)
    return render(
        request,
        "monitor_form.html",
        {**context, "values": values, "errors": {}, "clone": source},
        account=account,
    )


@router.post("/monitors/new")
async def create_monitor(
    request: Request, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return _login(request)
    await require_writer(account)
    form = await request.form()
    monitor_type = _type_of(monitor_forms.last_value(form, "type"))
    parsed = monitor_forms.parse(form, monitor_type, editing=False)
    errors = dict(parsed.errors)
    if not errors:
        try:
            body = MonitorCreate.model_validate(parsed.fields)
            fields = await _unmasked(db, account, form, body.model_dump(exclude_unset=True))
            fields.pop("channel_ids", None)
            org = account.organization
            monitor = await service.create_monitor(db, org, fields, policy_of(settings), now())
            if parsed.channel_ids is None:
                await alerting.attach_default_channels(db, org, monitor)
            else:
                await alerting.set_monitor_channels(db, org, monitor, parsed.channel_ids)
        except ValidationError as exc:
            errors = monitor_forms.validation_errors(exc)
        except StatusPingError as exc:
            errors = monitor_forms.domain_error(exc)
        else:
            return _go(request, f"/monitors/{monitor.id}")
        await _discard(db)
    context = await _form_context(db, account, settings, monitor_type, None)
    context.update(values=parsed.values, errors=errors, clone=None)
    return _form_response(request, account, context, status_code=422)


@router.get("/monitors/{monitor_id}/edit", response_class=HTMLResponse)
async def edit_monitor(
    request: Request, monitor_id: str, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return _login(request)
    monitor = await _monitor(monitor_id, account, db)
    linked = (await alerting.channel_ids_of(db, [monitor.id])).get(monitor.id, [])
    context = await _form_context(db, account, settings, MonitorType(monitor.type), monitor)
    context.update(values=monitor_forms.values_of(monitor, linked), errors={}, clone=None)
    return render(request, "monitor_form.html", context, account=account)


@router.post("/monitors/{monitor_id}/edit")
async def update_monitor(
    request: Request, monitor_id: str, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return _login(request)
    await require_writer(account)
    monitor = await _monitor(monitor_id, account, db)
    monitor_type = MonitorType(monitor.type)
    parsed = monitor_forms.parse(await request.form(), monitor_type, editing=True)
    errors = dict(parsed.errors)
    if not errors:
        try:
            body = MonitorUpdate.model_validate(parsed.fields)
            fields = body.model_dump(exclude_unset=True)
            fields.pop("channel_ids", None)
            org = account.organization
            await service.update_monitor(db, org, monitor, fields, policy_of(settings), now())
            if parsed.channel_ids is not None:
                await alerting.set_monitor_channels(db, org, monitor, parsed.channel_ids)
        except ValidationError as exc:
            errors = monitor_forms.validation_errors(exc)
        except StatusPingError as exc:
            errors = monitor_forms.domain_error(exc)
        else:
            return _go(request, f"/monitors/{monitor.id}")
        await _discard(db)  # the form shows the typed values; the row keeps its own
        monitor = await _monitor(monitor_id, account, db)
    context = await _form_context(db, account, settings, monitor_type, monitor)
    context.update(values=parsed.values, errors=errors, clone=None)
    return _form_response(request, account, context, status_code=422)


@router.post("/monitors/test")
async def test_now(
    request: Request,
    account: OptionalAccount,
    db: Db,
    settings: SettingsDep,
    prober: Prober,
    end_transaction: EndTransaction,
) -> Response:
    """Run one check with the form's values, saving nothing; htmx swaps in the result alone."""
    if account is None:
        return _login(request)
    await require_writer(account)
    form = await request.form()
    monitor_type = _type_of(monitor_forms.last_value(form, "type"))
    parsed = monitor_forms.parse(form, monitor_type, editing=False)
    errors = dict(parsed.errors)
    result: dict[str, Any] | None = None
    if not errors:
        try:
            fields = MonitorCreate.model_validate(parsed.fields).model_dump(exclude_unset=True)
            fields = await _unmasked(db, account, form, fields)
            trial = await trial_checks.trial_check(
                db,
                account.organization,
                fields,
                policy=policy_of(settings),
                prober=prober,
                end_transaction=end_transaction,
                now=now(),
            )
            result = {"trial": trial, "explained": ERROR_KINDS}
        except ValidationError as exc:
            errors = monitor_forms.validation_errors(exc)
        except StatusPingError as exc:
            errors = monitor_forms.domain_error(exc)
    if is_htmx(request):
        return render(
            request,
            "partials/monitor_test_result.html",
            {"test_result": result, "test_errors": errors},
            account=account,
        )
    monitor_id = monitor_forms.last_value(form, "monitor_id")
    monitor = await _monitor(monitor_id, account, db) if monitor_id else None
    context = await _form_context(db, account, settings, monitor_type, monitor)
    context.update(values=parsed.values, errors=errors, clone=None, test_result=result, test_errors=errors)
    return render(request, "monitor_form.html", context, account=account)


# Actions ----------------------------------------------------------------------------------------


@router.post("/monitors/{monitor_id}/pause")
async def pause_monitor(request: Request, monitor_id: str, account: OptionalAccount, db: Db) -> Response:
    if account is None:
        return _login(request)
    await require_writer(account)
    await service.pause(db, await _monitor(monitor_id, account, db), now())
    return _go(request, f"/monitors/{monitor_id}")


@router.post("/monitors/{monitor_id}/check")
async def check_monitor_now(
    request: Request,
    monitor_id: str,
    account: OptionalAccount,
    db: Db,
    settings: SettingsDep,
    prober: Prober,
    end_transaction: EndTransaction,
) -> Response:
    """The page's Check now: one check stored and fed to the state machine, then the page again, where
    it heads the check log (as ``POST /api/v1/monitors/{id}/check`` does for API clients)."""
    if account is None:
        return _login(request)
    await require_writer(account)
    monitor = await _monitor(monitor_id, account, db)
    await checks.check_now(
        db, monitor, prober=prober, end_transaction=end_transaction, region=settings.region, now=now()
    )
    return _go(request, f"/monitors/{monitor_id}#checks-heading")


@router.post("/monitors/{monitor_id}/resume")
async def resume_monitor(
    request: Request, monitor_id: str, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return _login(request)
    await require_writer(account)
    plan = policy_of(settings).plan_of(account.organization)
    await service.resume(db, await _monitor(monitor_id, account, db), now(), plan=plan)
    return _go(request, f"/monitors/{monitor_id}")


@router.get("/monitors/{monitor_id}/delete", response_class=HTMLResponse)
async def confirm_delete(request: Request, monitor_id: str, account: OptionalAccount, db: Db) -> Response:
    if account is None:
        return _login(request)
    monitor = await _monitor(monitor_id, account, db)
    return render(request, "monitor_delete.html", {"monitor": monitor}, account=account)


@router.post("/monitors/{monitor_id}/delete")
async def delete_monitor(request: Request, monitor_id: str, account: OptionalAccount, db: Db) -> Response:
    if account is None:
        return _login(request)
    await require_writer(account)
    await service.delete_monitor(db, await _monitor(monitor_id, account, db), now())
    return _go(request, "/dashboard")


# The page ---------------------------------------------------------------------------------------


@router.get("/monitors/{monitor_id}", response_class=HTMLResponse)
async def monitor_page(
    request: Request,
    monitor_id: str,
    account: OptionalAccount,
    db: Db,
    settings: SettingsDep,
    range: Annotated[ChartRange, Query()] = ChartRange.DAY,
    before: Annotated[datetime | None, Query()] = None,
) -> Response:
    if account is None:
        return _login(request)
    monitor = await _monitor(monitor_id, account, db)
    if before is not None and before.tzinfo is None:
        raise InvalidInput("before must carry a time zone", field="before")
    org = account.organization
    policy = policy_of(settings)
    at = now()
    view = await monitor_views.overview(
        db,
        monitor,
        plan=policy.plan_of(org),
        history_days=policy.history_days(org),
        chart_range=range,
        older_than=before,
        now=at,
    )
    windows = (await windows_by_org(db, {org.id}, [at])).get(org.id, [])
    heartbeat = monitor.type == MonitorType.HEARTBEAT.value
    expect = expectation_of(monitor.interval_seconds, monitor.config) if heartbeat else None
    context = {
        "view": view,
        "monitor": monitor,
        "status": shown_status(monitor, in_maintenance=active_for(windows, str(monitor.id), at)),
        "target": target_of(MonitorType(monitor.type), monitor.config),
        "type_title": TYPE_TITLES.get(monitor.type, monitor.type),
        "explained": ERROR_KINDS,
        "ping_url": f"{settings.base_url}/ping/{monitor.heartbeat_token}"
        if monitor.heartbeat_token
        else None,
        "is_https": monitor.type == "http"
        and str(monitor.config.get("url", "")).lower().startswith("https://"),
        "now": at,
        "paging": before is not None,
        "expect": expect,
        # The expected ping the pending deadline belongs to; the page shows it in the viewer's zone.
        "next_ping": expected_before(expect, monitor.next_check_at)
        if expect is not None and monitor.next_check_at is not None and not monitor.paused
        else None,
        "pings": await recent_pings(db, monitor.id, limit=RECENT_PINGS) if heartbeat else [],
        # Side by side when more than one region checks it (services.regions).
        "regions": [] if heartbeat else await region_summary(db, monitor.id, at),
    }
    return render(request, "monitor.html", context, account=account)
