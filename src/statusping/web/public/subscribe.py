"""Subscribing to a status page by email: the form or JSON, the confirmation link, one-click unsubscribe.

``POST /s/{slug}/subscribe`` takes ``{email, component_ids?}`` as JSON (202 JSON) or as the page's
form (an HTML answer); either way the answer is the same for a new, a pending and an existing
subscriber, so it tells nobody who is subscribed. Unsubscribing: ``GET`` shows a one-button page
(link scanners must not unsubscribe anybody); ``POST`` does it — also what a mail client's own
unsubscribe button sends (RFC 8058, body ``List-Unsubscribe=One-Click``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import Field, ValidationError

from statusping.domain.errors import InvalidInput, RateLimited, StatusPingError
from statusping.services import subscribers as service
from statusping.web.api.types import Input
from statusping.web.deps import Db, SettingsDep, now
from statusping.web.public.access import check_page

router = APIRouter()


class SubscribeIn(Input):
    email: str = Field(max_length=320)
    component_ids: list[str] | None = Field(default=None, max_length=service.MAX_COMPONENTS)


async def _parse(request: Request) -> SubscribeIn:
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("application/json"):
            return SubscribeIn.model_validate(await request.json())
        form = await request.form()
        chosen = [str(v) for v in form.getlist("component_ids") if str(v)]
        return SubscribeIn.model_validate({"email": str(form.get("email") or ""), "component_ids": chosen})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "body"
        raise InvalidInput(f"{where}: {error['msg']}", field=where) from None
    except ValueError:
        raise InvalidInput("the body must be JSON {email} or a form with an email field") from None


def _page(request: Request, slug: str, title: str, heading: str, **extra: Any) -> HTMLResponse:
    context = {"slug": slug, "title": title, "heading": heading, **extra}
    html = request.app.state.templates.env.get_template("status_subscribe.html").render(context)
    # These answers name one subscriber: never cached by anybody.
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.post("/s/{slug}/subscribe")
async def subscribe(slug: str, request: Request, db: Db) -> Response:
    wants_json = request.headers.get("content-type", "").startswith("application/json")
    try:
        page = await service.page_by_slug(db, slug)
        refused = check_page(request, page, html=not wants_json)
        if refused is not None:
            return refused
        body = await _parse(request)
        answer = await service.subscribe(
            db, page, body.email,
            component_ids=body.component_ids,
            client_ip=request.client.host if request.client else None,
            now=now(),
        )  # fmt: skip
    except StatusPingError as exc:
        if not wants_json:
            raise  # the friendly error page
        # Nothing was written before any of these errors, so answering (and committing) is safe.
        headers = {"Cache-Control": "no-store"}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after_seconds)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
    if wants_json:
        return JSONResponse({"detail": answer}, status_code=202, headers={"Cache-Control": "no-store"})
    return _page(request, page.slug, page.title, "Check your inbox", message=answer)


@router.get("/s/{slug}/subscribe/confirm", response_class=HTMLResponse)
async def confirm(slug: str, request: Request, db: Db, settings: SettingsDep, token: str = "") -> Response:
    page = await service.page_by_slug(db, slug)
    await service.confirm(db, page, token, secret_key=settings.resolved_secret_key, now=now())
    return _page(
        request, page.slug, page.title, "You are subscribed",
        message=f"You will get an email when {page.title} has an incident, and when it is resolved.",
    )  # fmt: skip


@router.get("/s/{slug}/unsubscribe", response_class=HTMLResponse)
async def unsubscribe_page(
    slug: str, request: Request, db: Db, settings: SettingsDep, token: str = ""
) -> Response:
    page = await service.page_by_slug(db, slug)
    found = await service.subscriber_for(db, page, token, secret_key=settings.resolved_secret_key)
    if found is None:
        return _page(request, page.slug, page.title, "You are not subscribed", message=_GONE)
    return _page(
        request, page.slug, page.title, "Unsubscribe?",
        message=f"{found.email} will get no more email about {page.title}.", token=token,
    )  # fmt: skip


_GONE = "This address gets no email from this status page (anymore)."


@router.post("/s/{slug}/unsubscribe", response_class=HTMLResponse)
async def unsubscribe(
    slug: str, request: Request, db: Db, settings: SettingsDep, token: str = ""
) -> Response:
    page = await service.page_by_slug(db, slug)
    await service.unsubscribe(db, page, token, secret_key=settings.resolved_secret_key)
    return _page(request, page.slug, page.title, "You are unsubscribed", message=_GONE)
