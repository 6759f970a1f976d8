from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from statusping.config import Mode
from statusping.domain.maintenance import active_for
from statusping.domain.monitors import MonitorType, target_of
from statusping.services.maintenances import windows_by_org
from statusping.storage.repositories.accounts import AccountRepository
from statusping.storage.repositories.monitors import MonitorRepository
from statusping.web.api.v1.monitor_schemas import shown_status
from statusping.web.deps import Db, OptionalAccount, SettingsDep, now
from statusping.web.rendering import render

router = APIRouter()
DASHBOARD_MONITORS = 200


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request, account: OptionalAccount, db: Db, settings: SettingsDep) -> Response:
    if account is None:
        return RedirectResponse(f"/login?{urlencode({'next': '/dashboard'})}", status_code=303)
    org = account.organization
    page = await AccountRepository(db).status_page_for_org(org.id)
    slug = page.slug if page else org.slug
    monitors = MonitorRepository(db)
    rows = await monitors.list_for(org.id, limit=DASHBOARD_MONITORS, offset=0)
    at = now()
    windows = (await windows_by_org(db, {org.id}, [at])).get(org.id, [])
    shown = [
        {
            "id": str(m.id),
            "name": m.name,
            "target": target_of(MonitorType(m.type), m.config),
            "status": shown_status(m, in_maintenance=active_for(windows, str(m.id), at)),
            "last_response_ms": m.last_response_ms,
            "last_checked_at": m.last_checked_at,
        }
        for m in rows
    ]
    return render(
        request,
        "dashboard.html",
        {
            "status_page_url": f"{settings.base_url}/s/{slug}",
            "monitors": shown,
            "monitor_total": await monitors.count(org.id),
            # Self-hosted installs have every feature; a "free plan" badge there would mislead.
            "selfhosted": settings.mode is Mode.SELFHOSTED,
        },
        account=account,
    )
