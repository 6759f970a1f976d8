"""A monitor's alerting: which channels it alerts and the optional reminder while it stays down.

``channel_ids`` is also a monitor field (PRODUCT.md §4); this resource carries the alert-only
setting ``reminder_minutes`` next to it.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from statusping.services import channels as service
from statusping.web.api.types import Input
from statusping.web.deps import CurrentAccount, CurrentMonitor, Db, Writer

router = APIRouter(prefix="/monitors", tags=["monitors"])


class MonitorAlerts(BaseModel):
    channel_ids: list[str]
    reminder_minutes: int | None


class MonitorAlertsUpdate(Input):
    model_config = ConfigDict(extra="forbid")

    channel_ids: list[str] | None = Field(default=None, max_length=50)
    reminder_minutes: int | None = None


@router.get("/{monitor_id}/alerts")
async def get_alerts(monitor: CurrentMonitor, account: CurrentAccount, db: Db) -> MonitorAlerts:
    ids = await service.channel_ids_of(db, [monitor.id])
    return MonitorAlerts(
        channel_ids=ids.get(monitor.id, []), reminder_minutes=await service.reminder_minutes_of(db, monitor)
    )


@router.put("/{monitor_id}/alerts")
async def put_alerts(
    body: MonitorAlertsUpdate, monitor: CurrentMonitor, account: Writer, db: Db
) -> MonitorAlerts:
    fields = body.model_dump(exclude_unset=True)
    if "channel_ids" in fields and body.channel_ids is not None:
        await service.set_monitor_channels(db, account.organization, monitor, body.channel_ids)
    if "reminder_minutes" in fields:
        await service.set_reminder_minutes(db, monitor, body.reminder_minutes)
    return await get_alerts(monitor, account, db)
