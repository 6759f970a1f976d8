"""Public addresses of status pages beyond ``/s/{slug}``: custom domains and old slugs.

- ``GET /internal/domains/check?domain=`` answers 200 for a verified custom domain (whose plan
  still includes one) and 404 otherwise: a reverse proxy's on-demand TLS asks it before it gets a
  certificate (docs/deploy.md has a Caddy example).
- ``PublicAddressesMiddleware``:
  - a request whose Host is a verified custom domain gets that page at ``/`` and nothing of the
    app: its own ``/s/{slug}/…`` paths (the page's links) and ``/static/…`` are served as they
    are; any other path ``/x`` is the page's ``/s/{slug}/x`` — so ``/api/v2/summary.json``,
    ``/history``, ``/feed.atom`` answer at the domain's root as Statuspage clients expect, and
    ``/login``, ``/signup``, ``/api/v1/…``, another page's ``/s/…`` or a badge are a 404
    (docs/decisions.md). Host lookups are kept per process for ``DOMAIN_TTL_SECONDS`` (found or
    not, so a flood of made-up hosts costs one query each per interval); this node forgets a
    domain at once when it is changed or verified here.
  - a 404 under ``/s/{slug}`` whose slug a page used before becomes a 308 to the same path under
    the page's current slug. Only answers that are 404 anyway pay for the lookup.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from statusping.config import Settings
from statusping.domain.branding import logo_origin
from statusping.services import status_page_settings as service
from statusping.web.middleware import CONTENT_SECURITY_POLICY
from statusping.web.policy import policy_of

log = logging.getLogger(__name__)
router = APIRouter()
DOMAIN_TTL_SECONDS = 30.0
MAX_CACHED_HOSTS = 10_000
IMG_SRC = "img-src 'self' data:"
assert IMG_SRC in CONTENT_SECURITY_POLICY


class DomainCache:
    def __init__(self) -> None:
        self._hosts: dict[str, tuple[str | None, float]] = {}

    async def slug_for(self, state: Any, host: str) -> str | None:
        found = self._hosts.get(host)
        if found is not None and found[1] > time.monotonic():
            return found[0]
        settings: Settings = state.settings
        try:
            async with state.sessionmaker() as db:
                slug = await service.page_for_domain(db, host, policy_of(settings))
        except (SQLAlchemyError, OSError):
            log.warning("custom domain %s not looked up: the database failed", host)
            return None
        if len(self._hosts) >= MAX_CACHED_HOSTS:
            self._hosts.clear()
        self._hosts[host] = (slug, time.monotonic() + DOMAIN_TTL_SECONDS)
        return slug

    def forget(self, *hosts: str | None) -> None:
        for host in hosts:
            if host:
                self._hosts.pop(host, None)


def domain_cache_of(state: Any) -> DomainCache:
    cache: DomainCache | None = getattr(state, "domain_cache", None)
    if cache is None:
        cache = state.domain_cache = DomainCache()
    return cache


@router.get("/internal/domains/check")
async def check_domain(request: Request, domain: str = Query(default="", max_length=300)) -> JSONResponse:
    state = request.app.state
    async with state.sessionmaker() as db:
        slug = await service.page_for_domain(db, domain, policy_of(state.settings))
    if slug is None:
        return JSONResponse({"detail": "not a verified custom domain"}, status_code=404)
    return JSONResponse({"domain": domain.lower().rstrip("."), "slug": slug})


def page_headers(logo_url: str | None) -> dict[str, str]:
    """A branded page's Content-Security-Policy: the usual one, with the logo's origin (and only
    that origin, only on that page) allowed as an image source. Nothing is proxied."""
    if not logo_url:
        return {}
    images = f"{IMG_SRC} {logo_origin(logo_url)}"
    return {"Content-Security-Policy": CONTENT_SECURITY_POLICY.replace(IMG_SRC, images)}


def _host(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            text = bytes(value).decode("latin-1").strip().lower()
            if text.startswith("["):
                return ""  # an IPv6 literal is never a custom domain
            return text.rsplit(":", 1)[0].rstrip(".")
    return ""


class PublicAddressesMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        settings: Settings = state.settings
        host = _host(scope)
        custom = False
        if host and host != (urlsplit(settings.base_url).hostname or ""):
            slug = await domain_cache_of(state).slug_for(state, host)
            if slug is not None:
                custom = True
                path = _on_custom_domain(scope["path"], slug)
                if path != scope["path"]:
                    scope = {**scope, "path": path, "raw_path": quote(path).encode()}
        if custom:
            await self.app(scope, receive, _plain_not_found(scope, send))
            return
        if not scope["path"].startswith("/s/"):
            await self.app(scope, receive, send)
            return
        redirected = False

        async def watch(message: Message) -> None:
            nonlocal redirected
            if message["type"] == "http.response.start" and message["status"] == 404:
                target = await _moved(state, scope)
                if target is not None:
                    redirected = True
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 308,
                            "headers": [(b"location", target.encode()), (b"content-length", b"0")],
                        }
                    )
                    await send({"type": "http.response.body", "body": b""})
                    return
            if not redirected:
                await send(message)

        await self.app(scope, receive, watch)


NOT_FOUND_HTML = (
    b'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>'
    b'<body><h1>Not found</h1><p><a href="/">Back to the status page</a></p></body></html>'
)
NOT_FOUND_JSON = b'{"detail":"Not Found"}'


def _plain_not_found(scope: Scope, send: Send) -> Send:
    """A custom domain's 404s without the app's error page (its navigation leads to our log-in):
    a bare page linking back to the status page, or JSON for clients that do not ask for HTML."""
    replaced = False
    accept = next((bytes(v) for k, v in scope.get("headers", []) if k == b"accept"), b"")
    body, kind = (
        (NOT_FOUND_HTML, b"text/html; charset=utf-8")
        if b"text/html" in accept
        else (NOT_FOUND_JSON, b"application/json")
    )

    async def replace(message: Message) -> None:
        nonlocal replaced
        if message["type"] == "http.response.start" and message["status"] == 404:
            replaced = True
            headers = [
                (k, v)
                for k, v in message.get("headers", [])
                if k.lower() not in (b"content-type", b"content-length")
            ]
            headers += [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 404, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        if not replaced:
            await send(message)

    return replace


def _on_custom_domain(path: str, slug: str) -> str:
    """Where a path asked of a page's custom domain is served: the page's own routes and the
    static assets as they are, everything else under the page (so what is not one of its
    routes is the page's 404, never the app)."""
    own = f"/s/{slug}"
    if path == own or path.startswith(own + "/") or path.startswith("/static/"):
        return path
    return own if path == "/" else own + path


async def _moved(state: Any, scope: Scope) -> str | None:
    """``/s/{new}/rest?query`` when the slug in the path is one a page used before."""
    _, _, rest = scope["path"].partition("/s/")
    old, slash, tail = rest.partition("/")
    if not old or len(old) > 64:
        return None
    try:
        async with state.sessionmaker() as db:
            new = await service.moved_to(db, old)
    except (SQLAlchemyError, OSError):
        return None  # the 404 stands
    if new is None or new == old.lower():
        return None
    query = scope.get("query_string", b"").decode("latin-1")
    return f"/s/{new}{slash}{quote(tail, safe='/')}" + (f"?{query}" if query else "")
