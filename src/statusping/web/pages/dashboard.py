"""The dashboard: every monitor of the organization, searchable, filterable, sortable and paged,
with bulk pause / resume / delete. Live updates arrive over ``/dashboard/events`` (``live.py``).

The controls are a GET form, so every view is a link and works without JavaScript; htmx swaps
only the list (``HX-Target: monitor-list``). Bulk actions are a POST form with the CSRF field;
delete first shows what will go and asks.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from statusping.config import Mode
from statusping.domain.accounts import Role
from statusping.services import dashboard as service
from statusping.services.dashboard import ListQuery
from statusping.storage.repositories.accounts import AccountRepository
from statusping.web.deps import Db, OptionalAccount, SettingsDep, now, require_writer
from statusping.web.pages.plan_keep import plan_notice
from statusping.web.policy import policy_of
from statusping.web.rendering import is_htmx, render

router = APIRouter()
LIST_TARGET = "monitor-list"
NOTICES = {"pause": "Paused", "resume": "Resumed", "delete": "Deleted"}


def _login(path: str) -> Response:
    return RedirectResponse(f"/login?{urlencode({'next': path})}", status_code=303)


def _back_to(raw: str | None) -> ListQuery:
    """The list view a bulk form came from (its query string), parsed like the page's own."""
    values = {k: v[-1] for k, v in parse_qs(raw or "", max_num_fields=10).items()}
    return ListQuery.parse(values.get("q"), values.get("status"), values.get("sort"), values.get("page"))


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    account: OptionalAccount,
    db: Db,
    settings: SettingsDep,
    q: Annotated[str | None, Query(max_length=1000)] = None,
    status: Annotated[str | None, Query(max_length=50)] = None,
    sort: Annotated[str | None, Query(max_length=50)] = None,
    page: Annotated[str | None, Query(max_length=20)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
    n: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
) -> Response:
    if account is None:
        return _login("/dashboard")
    org = account.organization
    view = await service.dashboard(db, org, ListQuery.parse(q, status, sort, page), now())
    context = {
        "view": view,
        "query_string": urlencode(view.query.params()),
        "can_write": account.membership.role != Role.VIEWER.value,
        "notice": f"{NOTICES[done]} {n} monitor{'s' if n != 1 else ''}."
        if done in NOTICES and n is not None
        else None,
    }
    if is_htmx(request) and request.headers.get("hx-target") == LIST_TARGET:
        return render(request, "partials/dashboard_list.html", context, account=account)
    status_page = await AccountRepository(db).status_page_for_org(org.id)
    context.update(
        status_page_url=f"{settings.base_url}/s/{status_page.slug if status_page else org.slug}",
        # Self-hosted installs have every feature; a "free plan" badge there would mislead.
        selfhosted=settings.mode is Mode.SELFHOSTED,
        plan_notice=await plan_notice(db, settings, org),  # monitors a downgrade paused
    )
    return render(request, "dashboard.html", context, account=account)


@router.post("/dashboard/bulk")
async def bulk_action(request: Request, account: OptionalAccount, db: Db, settings: SettingsDep) -> Response:
    if account is None:
        return _login("/dashboard")
    await require_writer(account)
    form = await request.form()
    action = str(form.get("action") or "")
    ids = service.parse_ids([v for v in form.getlist("ids") if isinstance(v, str)])
    back = _back_to(str(form.get("back") or ""))
    if action == "delete" and form.get("confirm") != "yes":
        monitors = await service.selected(db, account.organization, ids)
        if monitors:
            context = {"monitors": monitors, "back": urlencode(back.params())}
            return render(request, "dashboard_delete.html", context, account=account)
    plan = policy_of(settings).plan_of(account.organization)
    count = await service.bulk(db, account.organization, action, ids, now(), plan=plan)
    params = back.params(**({"page": 1} if action == "delete" else {}))
    params.update(done=action, n=str(count))
    return RedirectResponse(f"/dashboard?{urlencode(params)}", status_code=303)
