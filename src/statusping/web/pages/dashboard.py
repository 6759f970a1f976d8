from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from statusping.storage.repositories.accounts import AccountRepository
from statusping.web.deps import Db, OptionalAccount, SettingsDep
from statusping.web.rendering import render

router = APIRouter()


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request, account: OptionalAccount, db: Db, settings: SettingsDep) -> Response:
    if account is None:
        return RedirectResponse(f"/login?{urlencode({'next': '/dashboard'})}", status_code=303)
    page = await AccountRepository(db).status_page_for_org(account.organization.id)
    slug = page.slug if page else account.organization.slug
    return render(
        request,
        "dashboard.html",
        {"status_page_url": f"{settings.base_url}/s/{slug}"},
        account=account,
    )
