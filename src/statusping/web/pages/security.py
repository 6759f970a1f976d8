"""The security settings page (``/settings/security``): two-factor sign-in for oneself, and for the
owner whether the organization requires it of every member.

Plain POST forms with the CSRF field. Recovery codes are answered in the page itself (never a
redirect: they must not travel in a URL, and the answer is ``no-store``); everything else redirects.
The QR code is an SVG drawn here on the server (segno), so the page needs no script and the strict
Content-Security-Policy holds; the secret is shown beside it as text for apps that cannot scan.
"""

from __future__ import annotations

import io
from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from statusping.domain.accounts import Role
from statusping.domain.errors import StatusPingError
from statusping.domain.two_factor import group_secret
from statusping.services import two_factor
from statusping.services.accounts import Account
from statusping.web.deps import Db, OptionalAccount, SettingsDep, now
from statusping.web.pages import page_kit
from statusping.web.rendering import render

router = APIRouter()
PATH = "/settings/security"
SAVED = {
    "setup": None,
    "disabled": "Two-factor sign-in is off. Your password alone signs you in again.",
    "required": "Every member now needs two-factor sign-in to use the organization.",
    "not-required": "Members may now sign in without two-factor.",
}


def qr_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code: dark modules on white (scanners need the contrast,
    also in dark mode), with the quiet zone the standard asks for, and no inline style."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out,
        kind="svg",
        scale=5,
        border=4,
        dark="#0f172a",
        light="#ffffff",
        xmldecl=False,
        svgns=True,
        title="QR code for your authenticator app",
        svgclass=None,
        lineclass=None,
    )
    return Markup(out.getvalue().decode())  # noqa: S704 - segno's own markup, built from our data


async def _context(db: Db, settings: SettingsDep, account: Account, request: Request) -> dict[str, Any]:
    status = await two_factor.status_of(db, account.user, secret_key=settings.resolved_secret_key)
    pending = status.pending
    return {
        "status": status,
        "pending": pending,
        "qr": qr_svg(pending.uri) if pending else None,
        "secret": group_secret(pending.secret) if pending else None,
        "is_owner": account.membership.role == Role.OWNER.value,
        "required": account.organization.require_two_factor,
        "recovery_codes": None,
        "errors": {},
        "saved": SAVED.get(request.query_params.get("saved") or ""),
    }


async def _page(
    request: Request,
    db: Db,
    settings: SettingsDep,
    account: Account,
    *,
    errors: dict[str, str] | None = None,
    codes: list[str] | None = None,
) -> Response:
    context = await _context(db, settings, account, request)
    context.update(errors=errors or {}, recovery_codes=codes)
    response = render(request, "security.html", context, account=account, status_code=422 if errors else 200)
    response.headers["Cache-Control"] = "no-store"  # the secret and the recovery codes
    return response


@router.get(PATH, response_class=HTMLResponse)
async def security_page(
    request: Request, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return page_kit.login(request)
    return await _page(request, db, settings, account)


@router.post(f"{PATH}/setup")
async def start_setup(request: Request, account: OptionalAccount, db: Db, settings: SettingsDep) -> Response:
    if account is None:
        return page_kit.login(request)
    try:
        await two_factor.begin(db, account.user, secret_key=settings.resolved_secret_key, now=now())
    except StatusPingError as exc:
        return await _page(request, db, settings, account, errors=page_kit.error_of(exc))
    return page_kit.go(request, f"{PATH}#setup")


@router.post(f"{PATH}/confirm")
async def confirm_setup(
    request: Request, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return page_kit.login(request)
    code = page_kit.Fields(await request.form()).text("code")
    try:
        codes = await two_factor.confirm(
            db, account.user, code, secret_key=settings.resolved_secret_key, now=now()
        )
    except StatusPingError as exc:
        return await _page(request, db, settings, account, errors=page_kit.error_of(exc, {"code": "code"}))
    return await _page(request, db, settings, account, codes=codes)


@router.post(f"{PATH}/recovery-codes")
async def regenerate(request: Request, account: OptionalAccount, db: Db, settings: SettingsDep) -> Response:
    if account is None:
        return page_kit.login(request)
    code = page_kit.Fields(await request.form()).text("code")
    try:
        codes = await two_factor.regenerate_recovery_codes(
            db, account.user, code, secret_key=settings.resolved_secret_key, now=now()
        )
    except StatusPingError as exc:
        errors = page_kit.error_of(exc, {"code": "regenerate_code"})
        return await _page(request, db, settings, account, errors=errors)
    return await _page(request, db, settings, account, codes=codes)


@router.post(f"{PATH}/disable")
async def disable(request: Request, account: OptionalAccount, db: Db, settings: SettingsDep) -> Response:
    if account is None:
        return page_kit.login(request)
    fields = page_kit.Fields(await request.form())
    password, code = fields.text("password", strip=False), fields.text("code")
    try:
        await two_factor.disable(
            db, account.user, password=password, code=code, secret_key=settings.resolved_secret_key, now=now()
        )
    except StatusPingError as exc:
        errors = page_kit.error_of(exc, {"password": "disable_password", "code": "disable_code"})
        return await _page(request, db, settings, account, errors=errors)
    return page_kit.go(request, f"{PATH}?saved=disabled")


@router.post(f"{PATH}/organization")
async def set_requirement(
    request: Request, account: OptionalAccount, db: Db, settings: SettingsDep
) -> Response:
    if account is None:
        return page_kit.login(request)
    required = page_kit.Fields(await request.form()).text("require_two_factor") == "on"
    try:
        await two_factor.set_requirement(db, account, required)
    except StatusPingError as exc:  # refused before anything changed
        where = "organization" if account.membership.role == Role.OWNER.value else "_form"
        errors = {where: page_kit.error_of(exc)["_form"]}
        return await _page(request, db, settings, account, errors=errors)
    return page_kit.go(request, f"{PATH}?saved={'required' if required else 'not-required'}#organization")
