"""Monitor API: CRUD, pause/resume, check-now, results and incidents (PRODUCT.md §4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, Response, status
from fastapi.encoders import jsonable_encoder

from statusping.config import Settings
from statusping.domain.errors import Forbidden, InvalidInput
from statusping.domain.maintenance import active_for
from statusping.domain.plans import PLANS, get_plan
from statusping.domain.uptime import Window, window_allowed
from statusping.services import channels as alerting
from statusping.services import checks, statistics
from statusping.services import monitors as service
from statusping.services.maintenances import windows_by_org
from statusping.storage.models import Monitor
from statusping.storage.repositories.monitors import MonitorRepository
from statusping.web.api.types import PageOffset, SaneDatetime
from statusping.web.api.v1.monitor_schemas import (
    CheckResultOut,
    IncidentOut,
    MonitorCreate,
    MonitorUpdate,
    monitor_out,
)
from statusping.web.deps import (
    CurrentAccount,
    CurrentMonitor,
    Db,
    EndTransaction,
    Prober,
    SettingsDep,
    Writer,
    now,
)
from statusping.web.policy import policy_of

router = APIRouter(prefix="/monitors", tags=["monitors"])
MAX_PAGE = 500


async def _present(db: Db, monitors: list[Monitor], settings: Settings) -> list[dict[str, Any]]:
    """Monitors as the API shows them; "maintenance" while a window of theirs is open."""
    at = now()
    windows = await windows_by_org(db, {m.organization_id for m in monitors}, [at])
    channels = await alerting.channel_ids_of(db, [m.id for m in monitors])
    shown = [
        monitor_out(
            m, settings.base_url,
            in_maintenance=active_for(windows.get(m.organization_id, ()), str(m.id), at),
            channel_ids=channels.get(m.id, []),
        )
        for m in monitors
    ]  # fmt: skip
    return cast(list[dict[str, Any]], jsonable_encoder(shown))


def _fields(body: MonitorCreate | MonitorUpdate) -> tuple[dict[str, Any], list[str] | None]:
    """The monitor's own fields, and the channel ids if the client sent them."""
    fields = body.model_dump(exclude_unset=True)
    return fields, fields.pop("channel_ids", None)


@router.get("")
async def list_monitors(
    account: CurrentAccount,
    db: Db,
    settings: SettingsDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: PageOffset = 0,
) -> list[dict[str, Any]]:
    repo = MonitorRepository(db)
    org_id = account.organization.id
    response.headers["X-Total-Count"] = str(await repo.count(org_id))
    monitors = await repo.list_for(org_id, limit=limit, offset=offset)
    return await _present(db, list(monitors), settings)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_monitor(
    body: MonitorCreate, account: Writer, db: Db, settings: SettingsDep
) -> dict[str, Any]:
    fields, channel_ids = _fields(body)
    org = account.organization
    monitor = await service.create_monitor(db, org, fields, policy_of(settings), now())
    if channel_ids is None:
        await alerting.attach_default_channels(db, org, monitor)
    else:
        await alerting.set_monitor_channels(db, org, monitor, channel_ids)
    return (await _present(db, [monitor], settings))[0]


@router.get("/{monitor_id}")
async def get_monitor(monitor: CurrentMonitor, db: Db, settings: SettingsDep) -> dict[str, Any]:
    return (await _present(db, [monitor], settings))[0]


@router.patch("/{monitor_id}")
async def update_monitor(
    body: MonitorUpdate, monitor: CurrentMonitor, account: Writer, db: Db, settings: SettingsDep
) -> dict[str, Any]:
    fields, channel_ids = _fields(body)
    org = account.organization
    await service.update_monitor(db, org, monitor, fields, policy_of(settings), now())
    if channel_ids is not None:
        await alerting.set_monitor_channels(db, org, monitor, channel_ids)
    return (await _present(db, [monitor], settings))[0]


@router.delete("/{monitor_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_monitor(monitor: CurrentMonitor, account: Writer, db: Db) -> Response:
    await service.delete_monitor(db, monitor, now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{monitor_id}/pause")
async def pause_monitor(
    monitor: CurrentMonitor, account: Writer, db: Db, settings: SettingsDep
) -> dict[str, Any]:
    await service.pause(db, monitor, now())
    return (await _present(db, [monitor], settings))[0]


@router.post("/{monitor_id}/resume")
async def resume_monitor(
    monitor: CurrentMonitor, account: Writer, db: Db, settings: SettingsDep
) -> dict[str, Any]:
    await service.resume(db, monitor, now(), plan=policy_of(settings).plan_of(account.organization))
    return (await _present(db, [monitor], settings))[0]


@router.post("/{monitor_id}/check")
async def check_now(
    monitor: CurrentMonitor,
    account: Writer,
    db: Db,
    settings: SettingsDep,
    prober: Prober,
    end_transaction: EndTransaction,
) -> CheckResultOut:
    """Run one check now, store it and feed the state machine, as a scheduled check would."""
    result = await checks.check_now(
        db, monitor, prober=prober, end_transaction=end_transaction, region=settings.region, now=now()
    )
    return CheckResultOut.of(result)


@router.get("/{monitor_id}/results")
async def results(
    monitor: CurrentMonitor,
    account: CurrentAccount,
    db: Db,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    since: SaneDatetime | None = None,
    until: SaneDatetime | None = None,
    region: Annotated[str | None, Query(max_length=32, description="only this region's results")] = None,
) -> list[CheckResultOut]:
    """Newest first, within the plan's history: after a downgrade older results are kept but hidden."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name} must carry a time zone, e.g. 2026-01-01T00:00:00Z", field=name)
    shown_from = now() - timedelta(days=policy_of(settings).history_days(account.organization))
    rows = await MonitorRepository(db).results(
        monitor.id,
        limit=limit,
        since=max(since, shown_from) if since else shown_from,
        until=until,
        region=region,
    )
    return [CheckResultOut.of(r) for r in rows]


@router.get("/{monitor_id}/incidents")
async def incidents(
    monitor: CurrentMonitor, db: Db, limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100
) -> list[IncidentOut]:
    at = now()
    return [IncidentOut.of(i, at) for i in await MonitorRepository(db).incidents(monitor.id, limit=limit)]


@router.get("/{monitor_id}/uptime")
async def uptime(monitor: CurrentMonitor, account: CurrentAccount, db: Db, settings: SettingsDep) -> Any:
    """Time-weighted uptime per window; a window longer than the plan's history is null."""
    history_days = policy_of(settings).history_days(account.organization)
    return await statistics.uptime_report(db, monitor, history_days=history_days, now=now())


@router.get("/{monitor_id}/stats")
async def stats(
    monitor: CurrentMonitor,
    account: CurrentAccount,
    db: Db,
    settings: SettingsDep,
    window: Annotated[Window, Query(description="24h, 7d, 30d, 90d or 365d")] = Window.DAY,
) -> Any:
    """Chart buckets (uptime, avg/p95/min/max response time, timing breakdown) and incident figures."""
    if not window_allowed(window, policy_of(settings).history_days(account.organization)):
        current = get_plan(account.organization.plan)
        lifts = next((p for p in PLANS.values() if p.history_days >= window.days), None)
        hint = f"; the {lifts.title} plan lifts it" if lifts else ""
        raise Forbidden(f"the {current.title} plan keeps {current.history_days} day(s) of history{hint}")
    return jsonable_encoder(await statistics.stats_report(db, monitor, window, now=now()))
