"""The public status page: no sign-in, no JavaScript needed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from statusping.domain.errors import NotFound
from statusping.storage.repositories.accounts import AccountRepository
from statusping.web.deps import Db
from statusping.web.rendering import render

router = APIRouter()


@router.get("/s/{slug}", response_class=HTMLResponse)
async def status_page(slug: str, request: Request, db: Db) -> HTMLResponse:
    page = await AccountRepository(db).status_page_by_slug(slug.lower())
    if page is None:
        raise NotFound("there is no status page at this address")
    return render(
        request,
        "status_page.html",
        {
            "page": page,
            "components": [],
            "overall": "operational",
            "show_powered_by": page.show_powered_by,
        },
    )
