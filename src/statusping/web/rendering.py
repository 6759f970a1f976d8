"""Rendering pages with what every template needs: the CSRF token and who is signed in."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from statusping.services.accounts import Account
from statusping.web.cookies import csrf_token_for, set_csrf_cookie


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    account: Account | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    csrf, is_new = csrf_token_for(request)
    full = {
        "csrf_token": csrf,
        "user": account.user if account else None,
        "org": account.organization if account else None,
        # The header's organization switcher shows when there is more than one.
        "orgs": account.organizations if account else (),
        **(context or {}),
    }
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, full, status_code=status_code
    )
    if is_new:
        set_csrf_cookie(response, request.app.state.settings, csrf)
    return response


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
