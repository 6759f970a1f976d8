"""One place that turns errors into responses: JSON for the API, a friendly page for browsers."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from statusping.domain.errors import InvalidInput, RateLimited, StatusPingError
from statusping.domain.two_factor import ENROL_PATH, EnrolmentRequired
from statusping.services import accounts
from statusping.services.accounts import Account
from statusping.web.cookies import CSRF_COOKIE, SESSION_COOKIE
from statusping.web.error_docs import document_errors


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or "/api/" in path or path.startswith("/ping/") or path == "/metrics"


async def _render(request: Request, status_code: int, detail: object, headers: dict[str, str]) -> Response:
    if wants_json(request) or not isinstance(detail, str):
        return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)
    templates = request.app.state.templates
    account = await _signed_in(request)
    page: Response = templates.TemplateResponse(
        request,
        "error.html",
        {
            "status_code": status_code,
            "detail": detail,
            "user": account.user if account else None,
            "org": account.organization if account else None,
            # The signed-in header's log-out form needs the session's token (the cookie holds it).
            "csrf_token": request.cookies.get(CSRF_COOKIE, "") if account else "",
        },
        status_code=status_code,
        headers=headers,
    )
    return page


async def _signed_in(request: Request) -> Account | None:
    """Who is signed in, so an error page shows the app's navigation instead of a log-in link.
    Read in a transaction of its own: the request's may have been rolled back or never opened."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        async with request.app.state.sessionmaker() as db:
            found = await accounts.user_for_token(
                db, token, secret_key=request.app.state.settings.resolved_secret_key, now=datetime.now(UTC)
            )
            return await accounts.account_of(db, found[1], found[0].active_organization_id) if found else None
    except Exception:  # an error page must render even when the database is what failed
        return None


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StatusPingError)
    if isinstance(exc, EnrolmentRequired) and not wants_json(request):  # a page: off to set it up
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": ENROL_PATH})
        return RedirectResponse(ENROL_PATH, status_code=303)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    detail: object = exc.detail
    if isinstance(exc, InvalidInput) and exc.field and wants_json(request):
        # Same shape as FastAPI's own validation errors, so clients parse one format.
        detail = [{"loc": ["body", exc.field], "msg": exc.detail, "type": "value_error"}]
    return await _render(request, exc.status_code, detail, headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    return await _render(request, exc.status_code, exc.detail, headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", "invalid"), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StatusPingError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    document_errors(app)
