"""Monitor API: CRUD, pause/resume, check-now, results and incidents (PRODUCT.md §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.encoders import jsonable_encoder

from statusping.domain.errors import InvalidInput
from statusping.domain.monitors import MonitorType
from statusping.engine.recorder import Observation, record, result_row
from statusping.engine.runners import run_check
from statusping.services import monitors as service
from statusping.storage.repositories.monitors import MonitorRepository
from statusping.web.api.v1.monitor_schemas import (
    CheckResultOut,
    IncidentOut,
    MonitorCreate,
    MonitorUpdate,
    monitor_out,
)
from statusping.web.deps import CurrentAccount, CurrentMonitor, Db, SettingsDep, Writer, now

router = APIRouter(prefix="/monitors", tags=["monitors"])
MAX_PAGE = 500


def policy_of(settings: Any) -> service.Policy:
    from statusping.config import Mode

    return service.Policy(
        enforce_plans=settings.mode is Mode.SAAS,
        allow_private=settings.private_targets_allowed,
        min_interval_seconds=settings.min_interval_seconds,
    )


def _json(body: dict[str, Any]) -> dict[str, Any]:
    return cast(dict[str, Any], jsonable_encoder(body))


def _fields(body: MonitorCreate | MonitorUpdate) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    if fields.pop("channel_ids", None):
        raise InvalidInput("unknown channel id: create alert channels first", field="channel_ids")
    return fields


@router.get("")
async def list_monitors(
    account: CurrentAccount,
    db: Db,
    settings: SettingsDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    repo = MonitorRepository(db)
    org_id = account.organization.id
    response.headers["X-Total-Count"] = str(await repo.count(org_id))
    monitors = await repo.list_for(org_id, limit=limit, offset=offset)
    return cast(list[dict[str, Any]], jsonable_encoder([monitor_out(m, settings.base_url) for m in monitors]))


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_monitor(
    body: MonitorCreate, account: Writer, db: Db, settings: SettingsDep
) -> dict[str, Any]:
    monitor = await service.create_monitor(
        db, account.organization, _fields(body), policy_of(settings), now()
    )
    return _json(monitor_out(monitor, settings.base_url))


@router.get("/{monitor_id}")
async def get_monitor(monitor: CurrentMonitor, settings: SettingsDep) -> dict[str, Any]:
    return _json(monitor_out(monitor, settings.base_url))


@router.patch("/{monitor_id}")
async def update_monitor(
    body: MonitorUpdate, monitor: CurrentMonitor, account: Writer, db: Db, settings: SettingsDep
) -> dict[str, Any]:
    await service.update_monitor(db, account.organization, monitor, _fields(body), policy_of(settings), now())
    return _json(monitor_out(monitor, settings.base_url))


@router.delete("/{monitor_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_monitor(monitor: CurrentMonitor, account: Writer, db: Db) -> Response:
    await db.delete(monitor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{monitor_id}/pause")
async def pause_monitor(monitor: CurrentMonitor, account: Writer, settings: SettingsDep) -> dict[str, Any]:
    service.pause(monitor, now())
    return _json(monitor_out(monitor, settings.base_url))


@router.post("/{monitor_id}/resume")
async def resume_monitor(monitor: CurrentMonitor, account: Writer, settings: SettingsDep) -> dict[str, Any]:
    service.resume(monitor, now())
    return _json(monitor_out(monitor, settings.base_url))


@router.post("/{monitor_id}/check")
async def check_now(
    monitor: CurrentMonitor, account: Writer, db: Db, settings: SettingsDep, request: Request
) -> CheckResultOut:
    """Run one check now, store it and feed the state machine, as a scheduled check would."""
    if monitor.type == MonitorType.HEARTBEAT.value:
        raise InvalidInput("heartbeat monitors are checked by their pings, not on demand", field="type")
    started = now()
    outcome = await run_check(
        MonitorType(monitor.type), monitor.config, monitor.timeout_seconds, request.app.state.http_client
    )
    observation = Observation(monitor.id, outcome, started)
    if monitor.paused:
        # Shown, not stored: a paused monitor keeps no history.
        return CheckResultOut.of(result_row(observation, settings.region))
    recorded = await record(db, [observation], region=settings.region)
    return CheckResultOut.of(recorded[0].result if recorded else result_row(observation, settings.region))


@router.get("/{monitor_id}/results")
async def results(
    monitor: CurrentMonitor,
    db: Db,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[CheckResultOut]:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name} must carry a time zone, e.g. 2026-01-01T00:00:00Z", field=name)
    rows = await MonitorRepository(db).results(monitor.id, limit=limit, since=since, until=until)
    return [CheckResultOut.of(r) for r in rows]


@router.get("/{monitor_id}/incidents")
async def incidents(
    monitor: CurrentMonitor, db: Db, limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100
) -> list[IncidentOut]:
    at = now()
    return [IncidentOut.of(i, at) for i in await MonitorRepository(db).incidents(monitor.id, limit=limit)]
