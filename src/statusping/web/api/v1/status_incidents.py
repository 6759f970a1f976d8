"""Communication incidents of a status page (PRODUCT.md §4): post, update, correct, delete.

``POST /api/v1/status-pages/{id}/incidents`` opens one with its first update;
``POST …/incidents/{iid}/updates`` adds to its timeline (the update's status becomes the
incident's). ``iid`` may also be an automatic incident shown on the page (an outage of one of its
public components): the update annotates it (``automatic: true`` in the answer); it stays open or
resolved as the engine measures. ``PATCH`` corrects title, impact and affected components; the
status moves only through updates, so the timeline always explains it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from statusping.domain.errors import NotFound
from statusping.domain.status_incidents import MAX_MESSAGE, MAX_TITLE, IncidentStatus, PostedIncident
from statusping.services import status_incidents as service
from statusping.services.status_pages import IncidentView
from statusping.storage.models import StatusIncident
from statusping.web.api.types import Input, PageOffset
from statusping.web.api.v1.status_pages import CurrentPage
from statusping.web.deps import CurrentAccount, Db, SettingsDep, Writer, now
from statusping.web.public.status_page_json import history_url

router = APIRouter(prefix="/status-pages/{page_id}/incidents", tags=["status pages"])

Status = Literal["investigating", "identified", "monitoring", "resolved"]
Impact = Literal["none", "minor", "major", "critical"]
MAX_PAGE = 100


class IncidentIn(Input):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=MAX_TITLE * 2)
    status: Status = "investigating"
    impact: Impact = "minor"
    message: str = Field(max_length=MAX_MESSAGE, description="markdown; raw HTML is shown as text")
    monitor_ids: list[str] = Field(
        default_factory=list,
        max_length=service.MAX_COMPONENTS,
        description="affected components: public components of this page",
    )


class IncidentEdit(Input):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=MAX_TITLE * 2)
    impact: Impact | None = None
    monitor_ids: list[str] | None = Field(default=None, max_length=service.MAX_COMPONENTS)


class UpdateIn(Input):
    model_config = ConfigDict(extra="forbid")

    status: Status
    message: str = Field(max_length=MAX_MESSAGE, description="markdown; raw HTML is shown as text")


class UpdateOut(BaseModel):
    id: str
    status: Status
    message: str
    created_at: datetime


class IncidentOut(BaseModel):
    id: str
    title: str
    status: Status
    impact: Impact
    monitor_ids: list[str]
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    url: str = Field(description="where the public page tells it")
    updates: list[UpdateOut] = Field(description="newest first")
    automatic: bool = Field(default=False, description="an outage measured by the engine, annotated")


def _out(found: PostedIncident, page_url: str) -> IncidentOut:
    return IncidentOut(
        id=found.id,
        title=found.title,
        status=found.status.value,
        impact=found.impact.value,
        monitor_ids=found.component_ids,
        created_at=found.created_at,
        updated_at=found.updated_at,
        resolved_at=found.resolved_at,
        url=history_url(page_url, found.id, found.created_at),
        updates=[
            UpdateOut(id=u.id, status=u.status.value, message=u.body, created_at=u.created_at)
            for u in found.updates
        ],
    )


def _automatic_out(found: IncidentView, page_url: str) -> IncidentOut:
    return IncidentOut(
        id=found.id,
        title=found.name,
        status=IncidentStatus(found.status).value,
        impact="major",
        monitor_ids=[found.component_id],
        created_at=found.confirmed_at,
        updated_at=found.updated_at,
        resolved_at=found.resolved_at,
        url=history_url(page_url, found.id, found.started_at),
        updates=[
            UpdateOut(id=u.id, status=u.status.value, message=u.body, created_at=u.created_at)
            for u in found.notes
        ],
        automatic=True,
    )


def _page_url(settings: SettingsDep, slug: str) -> str:
    return f"{settings.base_url.rstrip('/')}/s/{slug}"


async def get_current_incident(incident_id: str, page: CurrentPage, db: Db) -> StatusIncident:
    """The incident if it is this page's (the page already scoped to the caller); 404 otherwise."""
    found = await service.get(db, page, incident_id)
    if found is None:
        raise NotFound("incident not found")
    return found


CurrentIncident = Annotated[StatusIncident, Depends(get_current_incident)]


@router.get("")
async def list_incidents(
    page: CurrentPage,
    account: CurrentAccount,
    db: Db,
    settings: SettingsDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    offset: PageOffset = 0,
) -> list[IncidentOut]:
    found, total = await service.list_for(db, page, offset=offset, limit=limit)
    response.headers["X-Total-Count"] = str(total)
    url = _page_url(settings, page.slug)
    return [_out(p, url) for p in found]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_incident(
    body: IncidentIn, page: CurrentPage, account: Writer, db: Db, settings: SettingsDep
) -> IncidentOut:
    incident = await service.create(db, account.organization, page, body.model_dump(), now())
    return _out(await service.as_posted(db, incident), _page_url(settings, page.slug))


@router.get("/{incident_id}")
async def get_incident(
    incident_id: str, page: CurrentPage, account: CurrentAccount, db: Db, settings: SettingsDep
) -> IncidentOut:
    """A communication incident, or an automatic one shown on the page (``automatic: true``)."""
    url = _page_url(settings, page.slug)
    found = await service.get(db, page, incident_id)
    if found is not None:
        return _out(await service.as_posted(db, found), url)
    automatic = await service.get_automatic(db, account.organization, page, incident_id)
    if automatic is None:
        raise NotFound("incident not found")
    return _automatic_out(automatic, url)


@router.patch("/{incident_id}")
async def edit_incident(
    body: IncidentEdit,
    incident: CurrentIncident,
    page: CurrentPage,
    account: Writer,
    db: Db,
    settings: SettingsDep,
) -> IncidentOut:
    fields = body.model_dump(exclude_unset=True)
    await service.edit(db, account.organization, page, incident, fields, now())
    return _out(await service.as_posted(db, incident), _page_url(settings, page.slug))


@router.delete("/{incident_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_incident(incident: CurrentIncident, account: Writer, db: Db) -> Response:
    await service.delete(db, incident)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{incident_id}/updates", status_code=status.HTTP_201_CREATED)
async def post_update(
    body: UpdateIn,
    incident_id: str,
    page: CurrentPage,
    account: Writer,
    db: Db,
    settings: SettingsDep,
) -> IncidentOut:
    url = _page_url(settings, page.slug)
    incident = await service.get(db, page, incident_id)
    if incident is not None:
        await service.add_update(db, incident, body.model_dump(), now())
        return _out(await service.as_posted(db, incident), url)
    automatic = await service.get_automatic(db, account.organization, page, incident_id)
    if automatic is None:
        raise NotFound("incident not found")
    return _automatic_out(await service.annotate(db, page, automatic, body.model_dump(), now()), url)
