"""``/s/{slug}/theme.css``: a branded page's colours as a stylesheet; ``/s/{slug}/custom.css``: its
owner's own CSS (business, checked by ``domain/custom_css.py`` when saved).

The CSP forbids inline styles, so the brand colour reaches the page as a small generated
stylesheet (a CSS custom property and a few rules, ``domain/branding.py:theme_css``), linked only
by pages with a brand colour. Served through the render cache like the page itself.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.domain.branding import theme_css
from statusping.domain.errors import NotFound
from statusping.services import status_page_settings, status_pages
from statusping.web.policy import policy_of
from statusping.web.public.render_cache import Rendered, cache_of, respond
from statusping.web.public.status_pages import CACHE_CONTROL, NOT_FOUND

router = APIRouter()


@router.api_route("/s/{slug}/theme.css", methods=["GET", "HEAD"])
async def theme(slug: str, request: Request) -> Response:
    policy = policy_of(request.app.state.settings)

    async def render(db: AsyncSession) -> Rendered | None:
        found = await status_pages.by_slug(db, slug)
        if found is None:
            return None
        page, org = found
        color = status_page_settings.public_branding(page, policy.plan_of(org)).brand_color
        css = theme_css(color) if color else "/* no brand colour */\n"
        return Rendered.of(css.encode(), "text/css; charset=utf-8")

    found = await cache_of(request.app.state).get(slug.lower(), "theme.css", render)
    if found is None:
        raise NotFound(NOT_FOUND)
    return respond(request, found[0], found[1], CACHE_CONTROL)


@router.api_route("/s/{slug}/custom.css", methods=["GET", "HEAD"])
async def custom(slug: str, request: Request) -> Response:
    """Linked only by pages whose plan includes custom CSS; a custom domain serves it at this same
    path. Public even for a private page, like theme.css: it styles the password form too, and
    holds nothing the owner did not write to be sent to every browser."""
    policy = policy_of(request.app.state.settings)

    async def render(db: AsyncSession) -> Rendered | None:
        found = await status_pages.by_slug(db, slug)
        if found is None:
            return None
        page, org = found
        css = status_page_settings.public_css(page, policy.plan_of(org)) or "/* no custom CSS */\n"
        return Rendered.of(css.encode(), "text/css; charset=utf-8")

    found = await cache_of(request.app.state).get(slug.lower(), "custom.css", render)
    if found is None:
        raise NotFound(NOT_FOUND)
    return respond(request, found[0], found[1], CACHE_CONTROL)
