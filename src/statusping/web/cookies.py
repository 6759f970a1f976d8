"""The cookies of PRODUCT.md §4: the session (HttpOnly) and the CSRF token (readable by scripts),
plus the known-device cookie that exempts a browser from the per-email log-in counter.

With a session, the CSRF token is derived from the session token (``csrf_token_for_session``): the
double-submit contract stays (header equal to cookie), and the value must also match the session, so
a cookie planted by a sibling subdomain is useless.
"""

from __future__ import annotations

from fastapi import Request, Response

from statusping.config import Settings
from statusping.security import csrf_token_for_session, new_token
from statusping.services.accounts import KNOWN_DEVICE_LIFETIME, SESSION_LIFETIME

SESSION_COOKIE = "statusping_session"
CSRF_COOKIE = "statusping_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"
DEVICE_COOKIE = "statusping_device"


def set_session_cookies(
    response: Response, settings: Settings, session_token: str, *, known_device: str | None = None
) -> str:
    """Set the session cookie and its CSRF token (and the known-device cookie when given); return
    the CSRF token."""
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
    csrf = csrf_token_for_session(settings.resolved_secret_key, session_token)
    set_csrf_cookie(response, settings, csrf)
    if known_device is not None:
        response.set_cookie(
            DEVICE_COOKIE,
            known_device,
            max_age=int(KNOWN_DEVICE_LIFETIME.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
        )
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
    """The request's CSRF token, and whether it must be set as a cookie (new, or not the session's).

    Signed in, it is the session's own token; anonymous forms (sign-up, log-in) are guarded by the
    Origin check instead, so any token will do there.
    """
    existing = request.cookies.get(CSRF_COOKIE)
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token:
        settings: Settings = request.app.state.settings
        bound = csrf_token_for_session(settings.resolved_secret_key, session_token)
        return bound, existing != bound
    if existing:
        return existing, False
    return new_token(), True
