"""The settings page (``/settings``): profile, password, organization, plan and usage, appearance.

(``/status-page``, the header's link, is the status page's management page: status_page_admin.py.)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from statusping.config import Mode, Settings
from statusping.domain.accounts import PASSWORD_MIN_LENGTH
from statusping.domain.errors import StatusPingError
from statusping.domain.plans import PLANS
from statusping.services import accounts, organizations, plans
from statusping.services.accounts import Account
from statusping.storage.repositories.channels import ChannelRepository
from statusping.storage.repositories.monitors import MonitorRepository
from statusping.web.cookies import set_session_cookies
from statusping.web.deps import Db, OptionalAccount, SettingsDep, client_of, now, require_writer
from statusping.web.pages import billing, page_kit
from statusping.web.pages.maintenance import time_zones
from statusping.web.policy import policy_of
from statusping.web.rendering import render

router = APIRouter()
THEME_COOKIE = "statusping_theme"
THEMES = {"system": "Same as the device", "light": "Light", "dark": "Dark"}


async def _usage(db: Db, settings: Settings, account: Account) -> dict[str, Any]:
    org = account.organization
    policy = policy_of(settings)
    plan = policy.plan_of(org)
    better = [p for p in PLANS.values() if plan is not None and p.price_usd_month > plan.price_usd_month]
    return {
        "plan": plan,
        "selfhosted": settings.mode is Mode.SELFHOSTED,
        "monitors": await MonitorRepository(db).count(org.id),
        "paused_by_plan": await plans.paused_by_plan(db, org),  # counted in "monitors", but not checked
        "channels": await ChannelRepository(db).count(org.id),
        "history_days": policy.history_days(org),
        "next_plan": better[0] if better else None,
    }


async def _context(db: Db, settings: Settings, account: Account, request: Request) -> dict[str, Any]:
    theme = request.cookies.get(THEME_COOKIE)
    return {
        "usage": await _usage(db, settings, account),
        "billing": await billing.section(request, db, account),
        "zones": time_zones(),
        "role": account.membership.role,
        "can_write": page_kit.can_write(account),
        "themes": THEMES,
        "theme_choice": theme if theme in THEMES else "system",
        "org_values": {"name": account.organization.name, "timezone": account.organization.timezone},
        "org_errors": {},
        "password_errors": {},
        "saved": request.query_params.get("saved"),
        "password_min": PASSWORD_MIN_LENGTH,
    }


@router.get("/settings", response_class=HTMLResponse)
async def settings_page(
    request: Request, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return page_kit.login(request)
    return render(request, "settings.html", await _context(db, settings, account, request), account=account)


@router.post("/settings/organization")
async def update_organization(
    request: Request, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return page_kit.login(request)
    await require_writer(account)
    fields = page_kit.Fields(await request.form())
    name, zone = fields.text("name"), fields.text("timezone")
    errors = dict(fields.errors)
    if not errors:
        try:
            await organizations.rename(db, account.organization, name)
            await organizations.set_timezone(db, account.organization, zone)
        except StatusPingError as exc:
            errors = page_kit.error_of(exc, {"organization": "name", "timezone": "timezone"})
        else:
            return page_kit.go(request, "/settings?saved=organization")
        await page_kit.discard(db)
        account = await accounts.account_of(db, account.user, account.organization.id)
    context = await _context(db, settings, account, request)
    context.update(org_values=fields.values, org_errors=errors)
    return page_kit.form_answer(
        request, account, "settings.html", "partials/settings_organization.html", context, failed=True
    )


@router.post("/settings/password")
async def change_password(
    request: Request, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    """Every session of the user ends with the old password; this browser gets a fresh one."""
    if account is None:
        return page_kit.login(request)
    fields = page_kit.Fields(await request.form())
    current, new = fields.text("current_password", strip=False), fields.text("new_password", strip=False)
    fields.values.clear()  # passwords are never shown back
    errors = dict(fields.errors)
    keep = False  # a wrong current password still counts toward the rate limit
    if not errors:
        try:
            await accounts.change_password(
                db, account.user, current_password=current, new_password=new, now=now()
            )
        except StatusPingError as exc:
            keep = exc.keep_changes
            errors = page_kit.error_of(
                exc,
                {
                    "current_password": "current_password",
                    "password": "new_password",
                    "new_password": "new_password",
                },
            )
        else:
            token = await accounts.start_session(
                db,
                account.user,
                secret_key=settings.resolved_secret_key,
                client=client_of(request),
                now=now(),
            )
            response = page_kit.go(request, "/settings?saved=password")
            set_session_cookies(response, settings, token)
            return response
        if not keep:
            await page_kit.discard(db)
    context = await _context(db, settings, account, request)
    context.update(password_errors=errors)
    return page_kit.form_answer(
        request, account, "settings.html", "partials/settings_password.html", context, failed=True
    )


@router.post("/settings/theme")
async def set_theme(request: Request, account: OptionalAccount, settings: SettingsDep) -> Response:
    """The appearance choice without JavaScript (static/js/theme.js writes the same cookie)."""
    if account is None:
        return page_kit.login(request)
    choice = page_kit.Fields(await request.form()).text("theme")
    response = RedirectResponse("/settings?saved=appearance", status_code=303)
    if choice in THEMES:
        response.set_cookie(
            THEME_COOKIE,
            choice,
            max_age=365 * 86400,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
        )
    return response
