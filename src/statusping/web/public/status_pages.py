"""The public status page: no sign-in, no JavaScript needed."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.config import Settings
from statusping.domain.errors import NotFound
from statusping.domain.plans import PlanKey
from statusping.services import page_access
from statusping.services import status_pages as service
from statusping.services.status_page_settings import public_branding
from statusping.services.status_pages import MAX_MAINTENANCES, PageView
from statusping.web.deps import SettingsDep, now
from statusping.web.policy import policy_of
from statusping.web.public import access
from statusping.web.public import status_page_json as sp
from statusping.web.public.access import gated
from statusping.web.public.domains import page_headers
from statusping.web.public.render_cache import Gate, Rendered, cache_of, respond

router = APIRouter()
router.include_router(access.router)  # the door of private pages: POST /s/{slug}/access

# Short enough that a page turns red within a check interval, long enough that a CDN or browser
# absorbs a stampede; stale-while-revalidate keeps answering instantly while one request refreshes.
CACHE_CONTROL = "public, max-age=15, stale-while-revalidate=30"
NOT_FOUND = "there is no status page at this address"


async def _view(db: AsyncSession, slug: str, settings: SettingsDep) -> PageView | None:
    found = await service.by_slug(db, slug)
    if found is None:
        return None
    page, org = found
    policy = policy_of(settings)
    plan = policy.plan_of(org)
    view = await service.view(
        db, page, org,
        history_days=policy.history_days(org),
        powered_by=page.show_powered_by or (plan is not None and plan.key is PlanKey.FREE),
        now=now(),
    )  # fmt: skip
    shown = public_branding(page, plan)
    return dataclasses.replace(
        view,
        logo_url=shown.logo_url,
        brand_color=shown.brand_color,
        custom_css=shown.custom_css,
        gate=page_access.gate_of(page),
    )


def page_url(settings: SettingsDep, slug: str) -> str:
    return f"{settings.base_url.rstrip('/')}/s/{slug}"


def cached(request: Request, body: bytes, media_type: str, extra: dict[str, str] | None = None) -> Response:
    """The body with an ETag and Cache-Control, or 304 when the client already holds these bytes."""
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, **(extra or {})}
    sent = request.headers.get("if-none-match", "")
    tags = {t.strip().removeprefix("W/") for t in sent.split(",")}
    if etag in tags or "*" in tags:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _settings(request: Request) -> Settings:
    # Not a dependency: on the hot path (a cache hit) every resolved dependency costs throughput.
    settings: Settings = request.app.state.settings
    return settings


async def _from_cache(
    request: Request,
    slug: str,
    settings: SettingsDep,
    representation: str,
    make: Callable[[PageView], Rendered],
) -> Response | None:
    """The representation from the render cache (web/public/render_cache.py), rendered on a miss."""

    async def render(db: AsyncSession) -> Rendered | None:
        view = await _view(db, slug, settings)
        if view is None:
            return None
        gate = None
        if view.gate is not None:
            gate = Gate(view.id, view.gate, view.slug, view.title, bool(view.brand_color), view.custom_css)
        return dataclasses.replace(make(view), gate=gate)

    found = await cache_of(request.app.state).get(slug.lower(), representation, render)
    if found is None:
        return None
    rendered, state = found
    return gated(
        rendered, request, respond(request, rendered, state, CACHE_CONTROL), html=representation == "html"
    )


@router.api_route("/s/{slug}", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def status_page(slug: str, request: Request) -> Response:
    settings = _settings(request)

    def html(view: PageView) -> Rendered:
        # Rendered without the per-visitor CSRF cookie: the page is the same bytes for everyone.
        text = request.app.state.templates.env.get_template("status_page.html").render(
            view=view, page_url=page_url(settings, view.slug)
        )
        return Rendered.of(text.encode(), "text/html; charset=utf-8", page_headers(view.logo_url))

    response = await _from_cache(request, slug, settings, "html", html)
    if response is None:
        raise NotFound(NOT_FOUND)
    return response


def _json(data: Any) -> Rendered:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    # Public data meant for other sites' widgets, as Statuspage serves it.
    return Rendered.of(body, "application/json", {"Access-Control-Allow-Origin": "*"})


@router.api_route("/s/{slug}/api", methods=["GET", "HEAD"])
async def status_page_json(slug: str, request: Request) -> Response:
    settings = _settings(request)

    def shape(view: PageView) -> Rendered:
        return _json(sp.page_json(view, page_url(settings, view.slug)))

    response = await _from_cache(request, slug, settings, "api", shape)
    return response or JSONResponse({"detail": NOT_FOUND}, status_code=404)


def _statuspage(name: str, shape: Callable[[PageView, str], dict[str, Any]]) -> Any:
    async def endpoint(slug: str, request: Request) -> Response:
        settings = _settings(request)

        def render(view: PageView) -> Rendered:
            url = page_url(settings, view.slug)
            return _json({"page": sp.sp_page(view, url), **shape(view, url)})

        response = await _from_cache(request, slug, settings, name, render)
        if response is None:
            raise NotFound(NOT_FOUND)
        return response

    return endpoint


STATUSPAGE_ENDPOINTS: dict[str, Callable[[PageView, str], dict[str, Any]]] = {
    "summary.json": lambda v, url: sp.summary(v, url),
    "status.json": lambda v, url: {"status": sp.sp_status(v)},
    "components.json": lambda v, url: {"components": sp.sp_components(v)},
    "incidents.json": lambda v, url: {"incidents": sp.sp_incidents(v, url)},
    "incidents/unresolved.json": lambda v, url: {"incidents": sp.sp_incidents(v, url, unresolved=True)},
    "scheduled-maintenances.json": lambda v, url: {
        "scheduled_maintenances": [
            sp.sp_maintenance(v, m, url)
            for m in [*v.maintenances, *v.completed_maintenances][:MAX_MAINTENANCES]
        ]
    },
    "scheduled-maintenances/upcoming.json": lambda v, url: {
        "scheduled_maintenances": [sp.sp_maintenance(v, m, url) for m in v.maintenances if not m.active]
    },
    "scheduled-maintenances/active.json": lambda v, url: {
        "scheduled_maintenances": [sp.sp_maintenance(v, m, url) for m in v.maintenances if m.active]
    },
}
for _name, _shape in STATUSPAGE_ENDPOINTS.items():
    router.add_api_route(f"/s/{{slug}}/api/v2/{_name}", _statuspage(_name, _shape), methods=["GET", "HEAD"])
