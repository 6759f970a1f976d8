"""The two cookies of PRODUCT.md §4: the session (HttpOnly) and the CSRF token (readable by scripts)."""

from __future__ import annotations

from fastapi import Request, Response

from statusping.config import Settings
from statusping.security import new_token
from statusping.services.accounts import SESSION_LIFETIME

SESSION_COOKIE = "statusping_session"
CSRF_COOKIE = "statusping_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"


def set_session_cookies(response: Response, settings: Settings, session_token: str) -> str:
    """Set the session cookie and a fresh CSRF token; return the CSRF token."""
    max_age = int(SESSION_LIFETIME.total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        session_token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    csrf = new_token()
    set_csrf_cookie(response, settings, csrf)
    return csrf


def set_csrf_cookie(response: Response, settings: Settings, token: str) -> None:
    # Not HttpOnly on purpose: scripts read it to echo it in X-CSRF-Token (double-submit).
    response.set_cookie(
        CSRF_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=False,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies
    )


def csrf_token_for(request: Request) -> tuple[str, bool]:
    """The request's CSRF token, and whether it is new (and so must be set as a cookie)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing:
        return existing, False
    return new_token(), True
