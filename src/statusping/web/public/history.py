"""A status page's past incidents, one month at a time (``/s/{slug}/history?month=YYYY-MM``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from statusping.domain.errors import NotFound
from statusping.services import status_incidents, status_pages
from statusping.web.deps import Db, SettingsDep, now
from statusping.web.public.access import check_page, private_headers
from statusping.web.public.status_pages import NOT_FOUND, cached, page_url

router = APIRouter()


@router.get("/s/{slug}/history", response_class=HTMLResponse)
async def history_page(
    slug: str,
    request: Request,
    db: Db,
    settings: SettingsDep,
    month: Annotated[str | None, Query(max_length=7, description="YYYY-MM; default this month")] = None,
) -> Response:
    found = await status_pages.by_slug(db, slug)
    if found is None:
        raise NotFound(NOT_FOUND)
    page, org = found
    refused = check_page(request, page, html=True)
    if refused is not None:
        return refused
    at = now()
    shown = await status_incidents.history(db, page, org, status_incidents.month_of(month, at), at)
    html = request.app.state.templates.env.get_template("status_history.html").render(
        page=page, history=shown, page_url=page_url(settings, page.slug)
    )
    response = cached(request, html.encode(), "text/html; charset=utf-8")
    return private_headers(response) if page.password_hash else response
