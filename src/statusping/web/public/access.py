"""The door of a private status page (Business): the password form, ``POST /s/{slug}/access``, and
the check every private representation passes before its bytes leave.

What needs the page's cookie: the page, ``/s/{slug}/api``, every ``/api/v2/*.json``, the feeds,
the history and subscribing. What does not: ``theme.css`` and ``custom.css`` (they style the
password form and hold only what the owner wrote for every browser), and the confirm and
unsubscribe links of mails (their signed token is the proof). Badges of an organization with a
private page answer 404 (services/badges.py): an image embedded elsewhere carries no cookie.

The render cache keeps one render per page for everybody; the gate travels with it
(``render_cache.Gate``) and is checked on every request, so a cached private page is never
served to a visitor without the cookie. Answers to allowed visitors are ``Cache-Control:
private, no-cache`` with ``Vary: Cookie``, so no shared cache (CDN, proxy) keeps them; the form is
``no-store``. The cookie is ``HttpOnly``, ``SameSite=Lax``, ``Secure`` on https, scoped to
``/s/{slug}`` — or to ``/`` on the page's custom domain, which serves nothing else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from statusping.config import Settings
from statusping.domain.errors import Forbidden, NotFound, RateLimited
from statusping.services import page_access, status_pages
from statusping.storage.models import StatusPage
from statusping.web.deps import Db, now
from statusping.web.public.render_cache import Gate, Rendered

router = APIRouter()

PRIVATE_CACHE_CONTROL = "private, no-cache"
LOCKED = "this status page is private: enter its password at the page's address first"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def allowed(request: Request, page_id: str, key: str | None, at: datetime | None = None) -> bool:
    cookie = request.cookies.get(page_access.cookie_name(page_id))
    secret = _settings(request).resolved_secret_key
    return page_access.allowed(secret, page_id, key, cookie, at or now())


def page_allowed(request: Request, page: StatusPage) -> bool:
    return allowed(request, str(page.id), page_access.gate_of(page))


def private_headers(response: Response) -> Response:
    """An allowed visitor's answer: kept by the browser only, never shared, never cross-origin."""
    response.headers["Cache-Control"] = PRIVATE_CACHE_CONTROL
    response.headers["Vary"] = "Accept-Encoding, Cookie"
    if "access-control-allow-origin" in response.headers:
        del response.headers["access-control-allow-origin"]
    return response


def locked(
    request: Request,
    gate: Gate,
    *,
    html: bool,
    status_code: int = 403,
    error: str | None = None,
    next_path: str | None = None,
) -> Response:
    """The password form (HTML) or a 403 JSON, never the page's bytes."""
    headers = {"Cache-Control": "no-store", "Vary": "Cookie"}
    if not html:
        return JSONResponse({"detail": error or LOCKED}, status_code=status_code, headers=headers)
    context: dict[str, Any] = {
        "gate": gate,
        "next": next_path or _safe_next(gate.slug, request.url.path),
        "error": error,
    }
    text = request.app.state.templates.env.get_template("status_private.html").render(context)
    return HTMLResponse(text, status_code=status_code, headers=headers)


def gate_of_page(page: StatusPage, *, brand_color: bool = False, custom_css: bool = False) -> Gate | None:
    key = page_access.gate_of(page)
    if key is None:
        return None
    return Gate(str(page.id), key, page.slug, page.title, brand_color, custom_css)


def check_page(request: Request, page: StatusPage, *, html: bool) -> Response | None:
    """None when the visitor may see ``page``; else the answer to give instead."""
    gate = gate_of_page(page)
    if gate is None or allowed(request, gate.page_id, gate.key):
        return None
    return locked(request, gate, html=html)


def gated(rendered: Rendered, request: Request, response: Response, *, html: bool) -> Response:
    """``response`` (the cached bytes) if the render is public or the visitor holds the cookie."""
    gate = rendered.gate
    if gate is None:
        return response
    if not allowed(request, gate.page_id, gate.key):
        return locked(request, gate, html=html)
    return private_headers(response)


def _our_host(settings: Settings) -> str:
    return (urlsplit(settings.base_url).hostname or "").lower()


def _safe_next(slug: str, value: str) -> str:
    """Only a (GET) path of this page: never an open redirect, never the form's own target."""
    if (
        (value == f"/s/{slug}" or value.startswith(f"/s/{slug}/"))
        and "//" not in value
        and "\\" not in value
        and not value.endswith(("/access", "/subscribe"))
    ):
        return value
    return f"/s/{slug}"


@router.post("/s/{slug}/access")
async def access(slug: str, request: Request, db: Db) -> Response:
    """The password form's target (also JSON ``{password}`` → 204): sets the page's cookie."""
    wants_json = request.headers.get("content-type", "").startswith("application/json")
    found = await status_pages.by_slug(db, slug.lower())
    if found is None:
        raise NotFound("there is no status page at this address")
    page = found[0]
    gate = gate_of_page(page)
    if gate is None:
        return RedirectResponse(f"/s/{page.slug}", status_code=303)
    try:
        if wants_json:
            body = await request.json()
            password = str(body.get("password") or "") if isinstance(body, dict) else ""
            next_path = f"/s/{page.slug}"
        else:
            form = await request.form()
            password = str(form.get("password") or "")
            next_path = _safe_next(page.slug, str(form.get("next") or ""))
    except ValueError:
        return JSONResponse({"detail": "the body must be JSON {password} or a form"}, status_code=422)
    settings = _settings(request)
    at = now()
    try:
        key = await page_access.unlock(
            db, page, password, client_ip=request.client.host if request.client else None, now=at
        )
    except (Forbidden, RateLimited) as exc:
        response = locked(
            request,
            gate,
            html=not wants_json,
            status_code=exc.status_code,
            error=exc.detail,
            next_path=next_path,
        )
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response  # the counted failure commits with this answer
    response = (
        Response(status_code=204, headers={"Cache-Control": "no-store"})
        if wants_json
        else RedirectResponse(next_path, status_code=303, headers={"Cache-Control": "no-store"})
    )
    host = (request.headers.get("host") or "").rsplit(":", 1)[0].lower()
    on_custom_domain = bool(host) and host != _our_host(settings)
    response.set_cookie(
        page_access.cookie_name(page.id),
        page_access.sign(settings.resolved_secret_key, page.id, key, at),
        max_age=int(page_access.ACCESS_FOR.total_seconds()),
        path="/" if on_custom_domain else f"/s/{page.slug}",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response
