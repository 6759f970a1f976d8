"""Status page management API (PRODUCT.md §4): title, description and the components shown.

Not yet here (later slices of issue 10): slug change, logo_url, brand_color, custom_domain,
show_powered_by. Sending those fields is a 422 that says so. Communication incidents are
``status_incidents.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, model_validator

from statusping.domain.errors import NotFound
from statusping.services import status_pages as service
from statusping.storage.models import StatusPage
from statusping.web.api.types import Input
from statusping.web.deps import CurrentAccount, Db, SettingsDep, Writer, now

router = APIRouter(prefix="/status-pages", tags=["status pages"])
NOT_YET = ("slug", "logo_url", "brand_color", "custom_domain", "show_powered_by")


class ComponentIn(Input):
    model_config = ConfigDict(extra="forbid")

    monitor_id: str = Field(max_length=64)
    display_name: str | None = Field(default=None, max_length=100, description="default: the monitor's name")
    group: str | None = Field(
        default=None, max_length=100, description="components with one group show together"
    )


class StatusPageUpdate(Input):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=400)
    description: str | None = Field(default=None, max_length=2000)
    components: list[ComponentIn] | None = Field(
        default=None,
        max_length=service.MAX_COMPONENTS,
        description="the whole list, in display order; [] shows every public monitor",
    )

    @model_validator(mode="before")
    @classmethod
    def _not_yet(cls, data: Any) -> Any:
        if isinstance(data, dict):
            later = sorted(name for name in NOT_YET if name in data)
            if later:
                raise ValueError(f"{', '.join(later)} cannot be changed through the API yet")
        return data


class ComponentOut(BaseModel):
    monitor_id: str
    name: str = Field(description="the name shown: display_name, else the monitor's name")
    display_name: str | None
    group: str | None
    position: int


class StatusPageOut(BaseModel):
    id: str
    slug: str
    url: str
    title: str
    description: str | None
    show_powered_by: bool
    components: list[ComponentOut]
    created_at: datetime
    updated_at: datetime


async def _out(db: Db, page: StatusPage, base_url: str) -> StatusPageOut:
    rows = await service.configured_components(db, page)
    return StatusPageOut(
        id=str(page.id),
        slug=page.slug,
        url=f"{base_url.rstrip('/')}/s/{page.slug}",
        title=page.title,
        description=page.description,
        show_powered_by=page.show_powered_by,
        components=[ComponentOut(monitor_id=str(r.monitor_id), name=r.name, display_name=r.display_name,
                                 group=r.group,
                                 position=r.position) for r in rows],
        created_at=page.created_at,
        updated_at=page.updated_at or page.created_at,
    )  # fmt: skip


async def get_current_page(page_id: str, account: CurrentAccount, db: Db) -> StatusPage:
    """The page if it belongs to the caller's organization; 404 alike for absent and foreign."""
    found = await service.get_page(db, account.organization, page_id)
    if found is None:
        raise NotFound("status page not found")
    return found


CurrentPage = Annotated[StatusPage, Depends(get_current_page)]


@router.get("")
async def list_status_pages(account: CurrentAccount, db: Db, settings: SettingsDep) -> list[StatusPageOut]:
    return [await _out(db, p, settings.base_url) for p in await service.list_pages(db, account.organization)]


@router.get("/{page_id}")
async def get_status_page(page: CurrentPage, db: Db, settings: SettingsDep) -> StatusPageOut:
    return await _out(db, page, settings.base_url)


@router.patch("/{page_id}")
async def update_status_page(
    body: StatusPageUpdate, page: CurrentPage, account: Writer, db: Db, settings: SettingsDep
) -> StatusPageOut:
    fields = body.model_dump(exclude_unset=True)
    await service.update_page(db, account.organization, page, fields, now())
    return await _out(db, page, settings.base_url)
