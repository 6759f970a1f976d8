"""Subscribing to a status page by email or webhook: the form or JSON, the confirmation link,
one-click unsubscribe.

``POST /s/{slug}/subscribe`` takes ``{email, component_ids?}`` or ``{webhook_url, component_ids?}``
as JSON (202 JSON) or as the page's forms (an HTML answer); either way the answer is the same for
a new, a pending and an existing subscriber, so it tells nobody who is subscribed. A webhook is
confirmed like an email: its first POST carries the confirm link (services/subscribers.py).
Unsubscribing: ``GET`` shows a one-button page
(link scanners must not unsubscribe anybody); ``POST`` does it — also what a mail client's own
unsubscribe button sends (RFC 8058, body ``List-Unsubscribe=One-Click``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import Field, ValidationError

from statusping.domain.errors import InvalidInput, NotFound, RateLimited, StatusPingError
from statusping.services import subscribers as service
from statusping.web.api.types import Input
from statusping.web.deps import Db, SettingsDep, now
from statusping.web.public.access import check_page

router = APIRouter()


class SubscribeIn(Input):
    email: str | None = Field(default=None, max_length=320)
    webhook_url: str | None = Field(default=None, max_length=2048)
    component_ids: list[str] | None = Field(default=None, max_length=service.MAX_COMPONENTS)


async def _parse(request: Request) -> SubscribeIn:
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("application/json"):
            return SubscribeIn.model_validate(await request.json())
        form = await request.form()
        chosen = [str(v) for v in form.getlist("component_ids") if str(v)]
        return SubscribeIn.model_validate(
            {"email": form.get("email") or None, "webhook_url": form.get("webhook_url") or None,
             "component_ids": chosen}
        )  # fmt: skip
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "body"
        raise InvalidInput(f"{where}: {error['msg']}", field=where) from None
    except ValueError:
        raise InvalidInput("the body must be JSON {email} or {webhook_url}, or the page's form") from None


def _page(
    request: Request, slug: str, title: str, heading: str, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    context = {"slug": slug, "title": title, "heading": heading, **extra}
    html = request.app.state.templates.env.get_template("status_subscribe.html").render(context)
    # These answers name one subscriber: never cached by anybody.
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


@router.post("/s/{slug}/subscribe")
async def subscribe(slug: str, request: Request, db: Db) -> Response:
    wants_json = request.headers.get("content-type", "").startswith("application/json")
    page = None
    try:
        page = await service.page_by_slug(db, slug)
        refused = check_page(request, page, html=not wants_json)
        if refused is not None:
            return refused
        body = await _parse(request)
        client_ip = request.client.host if request.client else None
        if bool(body.email) == bool(body.webhook_url):
            raise InvalidInput("give either an email or a webhook_url", field="email")
        if body.webhook_url:
            answer = await service.subscribe_webhook(
                db, page, body.webhook_url,
                component_ids=body.component_ids, client_ip=client_ip,
                allow_private=request.app.state.settings.private_targets_allowed, now=now(),
            )  # fmt: skip
        else:
            assert body.email is not None
            answer = await service.subscribe(
                db, page, body.email, component_ids=body.component_ids, client_ip=client_ip, now=now()
            )
    except StatusPingError as exc:
        if not wants_json:
            if page is None or not isinstance(exc, InvalidInput | RateLimited):
                raise  # the friendly error page
            # A visitor's typo or a repeat: answered on the page's own page with the way back to its
            # form, not on the app's error page (with its Log in and Sign up).
            headers = {"Cache-Control": "no-store"}
            if isinstance(exc, RateLimited):
                headers["Retry-After"] = str(exc.retry_after_seconds)
            answer_page = _page(
                request, page.slug, page.title,
                "Too many subscriptions" if isinstance(exc, RateLimited) else "Please check the form",
                status_code=exc.status_code, message=exc.detail[:1].upper() + exc.detail[1:],
                resubscribe="Try again",
            )  # fmt: skip
            answer_page.headers.update(headers)
            return answer_page
        # Nothing was written before any of these errors, so answering (and committing) is safe.
        headers = {"Cache-Control": "no-store"}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after_seconds)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
    if wants_json:
        return JSONResponse({"detail": answer}, status_code=202, headers={"Cache-Control": "no-store"})
    heading = "Check your webhook" if body.webhook_url else "Check your inbox"
    return _page(request, page.slug, page.title, heading, message=answer)


@router.get("/s/{slug}/subscribe/confirm", response_class=HTMLResponse)
async def confirm(slug: str, request: Request, db: Db, settings: SettingsDep, token: str = "") -> Response:
    page = await service.page_by_slug(db, slug)
    try:
        found = await service.confirm(db, page, token, secret_key=settings.resolved_secret_key, now=now())
    except NotFound:
        # Still the page's own answer (its title, a way back to its form), not the app's bare 404:
        # the visitor came from the page's mail and only needs to subscribe again.
        return _page(
            request, page.slug, page.title, "This link has expired", status_code=404,
            message="This confirmation link is unknown or more than 48 hours old. "
            "Subscribe again on the status page to get a new one.",
            resubscribe="Subscribe again",
        )  # fmt: skip
    if found.webhook_url:
        message = f"{found.webhook_url} will receive a POST when {page.title} has an incident or maintenance."
    else:
        message = f"You will get an email when {page.title} has an incident, and when it is resolved."
    return _page(request, page.slug, page.title, "You are subscribed", message=message)


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
        message=f"{found.webhook_url} will get no more POSTs about {page.title}." if found.webhook_url
        else f"{found.email} will get no more email about {page.title}.",
        token=token,
    )  # fmt: skip


_GONE = "This address gets no email from this status page (anymore)."


@router.post("/s/{slug}/unsubscribe", response_class=HTMLResponse)
async def unsubscribe(
    slug: str, request: Request, db: Db, settings: SettingsDep, token: str = ""
) -> Response:
    page = await service.page_by_slug(db, slug)
    await service.unsubscribe(db, page, token, secret_key=settings.resolved_secret_key)
    return _page(request, page.slug, page.title, "You are unsubscribed", message=_GONE)
