"""The incidents page (``/incidents``): every automatic incident of the organization, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from statusping.services.incident_log import STATES, incident_page
from statusping.web.deps import Db, OptionalAccount, now
from statusping.web.pages import page_kit
from statusping.web.pages.monitors import ERROR_KINDS
from statusping.web.rendering import render

router = APIRouter()
PER_PAGE = 50


@router.get("/incidents", response_class=HTMLResponse)
async def incidents_page(
    request: Request,
    account: OptionalAccount,
    db: Db,
    state: str = "all",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    if account is None:
        return page_kit.login(request)
    state = state if state in STATES else "all"
    found = await incident_page(
        db, account.organization, state=state, page=page, per_page=PER_PAGE, now=now()
    )
    return render(
        request,
        "incidents.html",
        {"found": found, "state": state, "states": STATES, "explained": ERROR_KINDS},
        account=account,
    )
