"""Maintenance windows API (PRODUCT.md §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, ConfigDict, Field

from statusping.domain.errors import NotFound
from statusping.services import maintenances as service
from statusping.storage.models import Maintenance
from statusping.web.api.types import Input, SaneDatetime
from statusping.web.deps import CurrentAccount, Db, SettingsDep, Writer, now
from statusping.web.policy import policy_of

router = APIRouter(prefix="/maintenances", tags=["maintenances"])


class MaintenanceIn(Input):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=400)
    starts_at: SaneDatetime
    ends_at: SaneDatetime
    recurrence: str | None = Field(default=None, max_length=500, description='null, "weekly" or an RRULE')
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA zone name; default the organization's"
    )
    monitor_ids: list[str] | None = Field(default=None, max_length=1000, description="null: all monitors")


class MaintenanceUpdate(Input):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=400)
    starts_at: SaneDatetime | None = None
    ends_at: SaneDatetime | None = None
    recurrence: str | None = Field(default=None, max_length=500)
    timezone: str | None = Field(default=None, max_length=64)
    monitor_ids: list[str] | None = Field(default=None, max_length=1000)


class OccurrenceOut(BaseModel):
    starts_at: datetime
    ends_at: datetime


class MaintenanceOut(BaseModel):
    id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    recurrence: str | None
    timezone: str
    monitor_ids: list[str] | None
    active: bool
    next_window: OccurrenceOut | None = Field(
        description="the occurrence running now, or else the next one within 366 days; null if none"
    )

    @classmethod
    def of(cls, row: Maintenance, at: datetime) -> MaintenanceOut:
        upcoming = service.as_window(row).next_span(at)
        return cls(
            id=str(row.id),
            title=row.title,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            recurrence=row.rrule,
            timezone=row.timezone,
            monitor_ids=row.monitor_ids,
            active=upcoming is not None and upcoming[0] <= at,
            next_window=OccurrenceOut(starts_at=upcoming[0], ends_at=upcoming[1]) if upcoming else None,
        )


async def get_current_maintenance(maintenance_id: str, account: CurrentAccount, db: Db) -> Maintenance:
    found = await service.get(db, account.organization, maintenance_id)
    if found is None:
        raise NotFound("maintenance window not found")
    return found


CurrentMaintenance = Annotated[Maintenance, Depends(get_current_maintenance)]


@router.get("")
async def list_maintenances(account: CurrentAccount, db: Db) -> list[MaintenanceOut]:
    at = now()
    return [MaintenanceOut.of(m, at) for m in await service.list_for(db, account.organization)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_maintenance(
    body: MaintenanceIn, account: Writer, db: Db, settings: SettingsDep
) -> MaintenanceOut:
    row = await service.create(
        db, account.organization, body.model_dump(exclude_unset=True), policy_of(settings), now()
    )
    return MaintenanceOut.of(row, now())


@router.get("/{maintenance_id}")
async def get_maintenance(maintenance: CurrentMaintenance) -> MaintenanceOut:
    return MaintenanceOut.of(maintenance, now())


@router.patch("/{maintenance_id}")
async def update_maintenance(
    body: MaintenanceUpdate, maintenance: CurrentMaintenance, account: Writer, db: Db, settings: SettingsDep
) -> MaintenanceOut:
    await service.update(
        db, account.organization, maintenance, body.model_dump(exclude_unset=True), policy_of(settings), now()
    )
    return MaintenanceOut.of(maintenance, now())


@router.delete("/{maintenance_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_maintenance(maintenance: CurrentMaintenance, account: Writer, db: Db) -> Response:
    await service.delete(db, maintenance, now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
