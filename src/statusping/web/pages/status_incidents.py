"""Dashboard pages to post a status page's incidents and their updates.

``/status-pages/{id}/incidents`` lists them with a form to open one, and the page's recent outages
(automatic incidents); ``…/incidents/{iid}`` shows the timeline with forms to post an update,
correct the incident or delete it — for an outage, its updates and the form to add one. Plain POST forms with
the CSRF field (no JavaScript needed): 303 on success, the page again with the error (422) on
failure, nothing saved.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from statusping.domain.errors import InvalidInput, NotFound
from statusping.domain.status_incidents import STATUS_TITLES, Impact, IncidentStatus
from statusping.services import status_incidents as service
from statusping.services import status_pages
from statusping.services.accounts import Account
from statusping.services.status_pages import IncidentView
from statusping.storage.models import StatusIncident, StatusPage
from statusping.web.api.types import PageOffset, storable_text_problem
from statusping.web.deps import Db, OptionalAccount, now, require_writer
from statusping.web.rendering import render

router = APIRouter()
PER_PAGE = 20
IMPACT_TITLES = {
    Impact.NONE: "None",
    Impact.MINOR: "Minor",
    Impact.MAJOR: "Major",
    Impact.CRITICAL: "Critical",
}


def _login(request: Request) -> Response:
    return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)


async def _page(db: Db, account: Account, page_id: str) -> StatusPage:
    found = await status_pages.get_page(db, account.organization, page_id)
    if found is None:
        raise NotFound("status page not found")
    return found


async def _incident(db: Db, page: StatusPage, incident_id: str) -> StatusIncident:
    found = await service.get(db, page, incident_id)
    if found is None:
        raise NotFound("incident not found")
    return found


async def _fields(request: Request, *names: str) -> dict[str, Any]:
    """The form's text fields (refused like the API's when they cannot be stored) and components."""
    form = await request.form()
    fields: dict[str, Any] = {}
    for name in names:
        value = form.get(name)
        text = value if isinstance(value, str) else ""
        problem = storable_text_problem(text)
        if problem:
            raise InvalidInput(f"{name} {problem}", field=name)
        fields[name] = text
    if "monitor_ids" in names:
        fields["monitor_ids"] = [v for v in form.getlist("monitor_ids") if isinstance(v, str)]
    return fields


def _choices() -> dict[str, Any]:
    return {
        "statuses": [(s.value, STATUS_TITLES[s]) for s in IncidentStatus],
        "impacts": [(i.value, IMPACT_TITLES[i]) for i in Impact],
    }


async def _list_page(
    request: Request,
    db: Db,
    account: Account,
    page: StatusPage,
    *,
    offset: int = 0,
    values: dict[str, Any] | None = None,
    error: InvalidInput | None = None,
) -> Response:
    found, total, components = await service.overview(
        db, account.organization, page, offset=offset, limit=PER_PAGE
    )
    context = {
        "page": page,
        "incidents": found,
        "outages": await service.recent_automatic(db, account.organization, page, now()),
        "total": total,
        "offset": offset,
        "per_page": PER_PAGE,
        "components": components,
        "values": values or {"status": "investigating", "impact": "minor", "monitor_ids": []},
        "error": error,
        **_choices(),
    }
    return render(
        request, "status_incidents.html", context, account=account, status_code=422 if error else 200
    )


async def _detail_page(
    request: Request,
    db: Db,
    account: Account,
    page: StatusPage,
    incident: StatusIncident,
    *,
    error: InvalidInput | None = None,
    form: str | None = None,
) -> Response:
    _, _, components = await service.overview(db, account.organization, page, offset=0, limit=1)
    context = {
        "page": page,
        "incident": await service.as_posted(db, incident),
        "components": components,
        "error": error,
        "error_form": form,
        **_choices(),
    }
    return render(
        request, "status_incident.html", context, account=account, status_code=422 if error else 200
    )


async def _outage_page(
    request: Request,
    db: Db,
    account: Account,
    page: StatusPage,
    outage: IncidentView,
    *,
    error: InvalidInput | None = None,
) -> Response:
    """An automatic incident the page shows, with its updates and the form to add one."""
    context = {"page": page, "outage": outage, "error": error, **_choices()}
    return render(request, "status_outage.html", context, account=account, status_code=422 if error else 200)


async def _discard(db: Db) -> None:
    """Nothing of a refused form is saved (the request still answers, so it would commit)."""
    db.expunge_all()
    await db.rollback()


@router.get("/status-page/incidents")
async def own_page_incidents(request: Request, account: OptionalAccount, db: Db) -> Response:
    """The organization's (first) status page's incidents: where the dashboard links."""
    if account is None:
        return _login(request)
    pages = await status_pages.list_pages(db, account.organization)
    if not pages:
        raise NotFound("this organization has no status page")
    return RedirectResponse(f"/status-pages/{pages[0].id}/incidents", status_code=303)


@router.get("/status-pages/{page_id}/incidents", response_class=HTMLResponse)
async def incidents_page(
    request: Request, page_id: str, account: OptionalAccount, db: Db, offset: PageOffset = 0
) -> Response:
    if account is None:
        return _login(request)
    return await _list_page(request, db, account, await _page(db, account, page_id), offset=offset)


@router.post("/status-pages/{page_id}/incidents")
async def open_incident(request: Request, page_id: str, account: OptionalAccount, db: Db) -> Response:
    if account is None:
        return _login(request)
    await require_writer(account)
    page = await _page(db, account, page_id)
    values: dict[str, Any] = {}
    try:
        values = await _fields(request, "title", "status", "impact", "message", "monitor_ids")
        incident = await service.create(db, account.organization, page, values, now())
    except InvalidInput as error:
        await _discard(db)
        page = await _page(db, account, page_id)
        return await _list_page(request, db, account, page, values=values, error=error)
    return RedirectResponse(f"/status-pages/{page.id}/incidents/{incident.id}", status_code=303)


@router.get("/status-pages/{page_id}/incidents/{incident_id}", response_class=HTMLResponse)
async def incident_page(
    request: Request, page_id: str, incident_id: str, account: OptionalAccount, db: Db
) -> Response:
    if account is None:
        return _login(request)
    page = await _page(db, account, page_id)
    posted = await service.get(db, page, incident_id)
    if posted is not None:
        return await _detail_page(request, db, account, page, posted)
    return await _outage_page(request, db, account, page, await _outage(db, account, page, incident_id))


async def _outage(db: Db, account: Account, page: StatusPage, incident_id: str) -> IncidentView:
    found = await service.get_automatic(db, account.organization, page, incident_id)
    if found is None:
        raise NotFound("incident not found")
    return found


async def _annotate(
    request: Request, db: Db, account: Account, page: StatusPage, incident_id: str
) -> Response:
    outage = await _outage(db, account, page, incident_id)
    try:
        await service.annotate(db, page, outage, await _fields(request, "status", "message"), now())
    except InvalidInput as error:
        await _discard(db)
        page = await _page(db, account, str(page.id))
        outage = await _outage(db, account, page, incident_id)
        return await _outage_page(request, db, account, page, outage, error=error)
    return RedirectResponse(f"/status-pages/{page.id}/incidents/{incident_id}", status_code=303)


async def _change(
    request: Request, page_id: str, incident_id: str, account: OptionalAccount, db: Db, what: str
) -> Response:
    if account is None:
        return _login(request)
    await require_writer(account)
    page = await _page(db, account, page_id)
    if what == "update" and await service.get(db, page, incident_id) is None:
        return await _annotate(request, db, account, page, incident_id)  # an automatic incident
    incident = await _incident(db, page, incident_id)
    try:
        if what == "update":
            await service.add_update(db, incident, await _fields(request, "status", "message"), now())
        else:
            fields = await _fields(request, "title", "impact", "monitor_ids")
            await service.edit(db, account.organization, page, incident, fields, now())
    except InvalidInput as error:
        await _discard(db)
        page = await _page(db, account, page_id)
        incident = await _incident(db, page, incident_id)
        return await _detail_page(request, db, account, page, incident, error=error, form=what)
    return RedirectResponse(f"/status-pages/{page.id}/incidents/{incident.id}", status_code=303)


@router.post("/status-pages/{page_id}/incidents/{incident_id}/updates")
async def post_update(
    request: Request, page_id: str, incident_id: str, account: OptionalAccount, db: Db
) -> Response:
    return await _change(request, page_id, incident_id, account, db, "update")


@router.post("/status-pages/{page_id}/incidents/{incident_id}/edit")
async def edit_incident(
    request: Request, page_id: str, incident_id: str, account: OptionalAccount, db: Db
) -> Response:
    return await _change(request, page_id, incident_id, account, db, "edit")


@router.post("/status-pages/{page_id}/incidents/{incident_id}/delete")
async def delete_incident(
    request: Request, page_id: str, incident_id: str, account: OptionalAccount, db: Db
) -> Response:
    if account is None:
        return _login(request)
    await require_writer(account)
    page = await _page(db, account, page_id)
    await service.delete(db, await _incident(db, page, incident_id))
    return RedirectResponse(f"/status-pages/{page.id}/incidents", status_code=303)
