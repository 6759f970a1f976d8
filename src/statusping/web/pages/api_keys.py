"""The API keys page (``/settings/api-keys``): create a key (shown once), list, revoke.

Plain POST forms with the CSRF field. Creating answers the page itself with the new key (never a
redirect: the key must not travel in a URL, and the answer is ``no-store``); revoking redirects.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from statusping.domain.errors import Forbidden, StatusPingError
from statusping.services import api_keys as service
from statusping.services.accounts import Account
from statusping.services.api_keys import Scope
from statusping.web.deps import Db, OptionalAccount, SettingsDep, now, require_writer
from statusping.web.pages import page_kit
from statusping.web.policy import policy_of
from statusping.web.rendering import render

router = APIRouter()
SCOPES = {
    Scope.READ.value: "Read: may only read (dashboards, /metrics)",
    Scope.READ_WRITE.value: "Read and write: may also create, change and delete",
}


async def _context(db: Db, settings: SettingsDep, account: Account, request: Request) -> dict[str, Any]:
    refused = None
    try:
        service.check_plan(account.organization, policy_of(settings))
    except Forbidden as exc:
        refused = exc.detail
    return {
        "refused": refused,
        "keys": [] if refused else await service.list_keys(db, account.organization),
        "scopes": SCOPES,
        "can_write": page_kit.can_write(account),
        "values": {"name": "", "scope": Scope.READ.value},
        "errors": {},
        "created": None,
        "saved": request.query_params.get("saved"),
        "base_url": settings.base_url.rstrip("/"),
    }


@router.get("/settings/api-keys", response_class=HTMLResponse)
async def api_keys_page(
    request: Request, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return page_kit.login(request)
    return render(request, "api_keys.html", await _context(db, settings, account, request), account=account)


@router.post("/settings/api-keys")
async def create_key(request: Request, account: OptionalAccount, db: Db, settings: SettingsDep) -> Response:
    if account is None:
        return page_kit.login(request)
    await require_writer(account)
    fields = page_kit.Fields(await request.form())
    name, scope = fields.text("name"), fields.text("scope")
    errors = dict(fields.errors)
    if scope not in SCOPES:
        errors["scope"] = "Choose read or read and write."
    created = None
    if not errors:
        try:
            created = await service.create(
                db,
                account,
                name=name,
                scope=Scope(scope),
                policy=policy_of(settings),
                secret_key=settings.resolved_secret_key,
                now=now(),
            )
        except StatusPingError as exc:
            errors = page_kit.error_of(exc, {"name": "name"})
            await page_kit.discard(db)
    context = await _context(db, settings, account, request)
    if created is None:
        context.update(values=fields.values, errors=errors)
        return render(request, "api_keys.html", context, account=account, status_code=422)
    context.update(created={"name": created[0].name, "key": created[1]})
    response = render(request, "api_keys.html", context, account=account)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/settings/api-keys/{key_id}/revoke")
async def revoke_key(request: Request, key_id: str, account: OptionalAccount, db: Db) -> Response:
    if account is None:
        return page_kit.login(request)
    await require_writer(account)
    await service.revoke(db, account.organization, key_id)
    return page_kit.go(request, "/settings/api-keys?saved=revoked")
