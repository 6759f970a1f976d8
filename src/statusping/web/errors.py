"""One place that turns errors into responses: JSON for the API, a friendly page for browsers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from statusping.domain.errors import InvalidInput, RateLimited, StatusPingError
from statusping.web.error_docs import document_errors


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or "/api/" in path or path.startswith("/ping/")


def _render(request: Request, status_code: int, detail: object, headers: dict[str, str]) -> Response:
    if wants_json(request) or not isinstance(detail, str):
        return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)
    templates = request.app.state.templates
    page: Response = templates.TemplateResponse(
        request,
        "error.html",
        {"status_code": status_code, "detail": detail, "user": None, "org": None, "csrf_token": ""},
        status_code=status_code,
        headers=headers,
    )
    return page


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StatusPingError)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    detail: object = exc.detail
    if isinstance(exc, InvalidInput) and exc.field and wants_json(request):
        # Same shape as FastAPI's own validation errors, so clients parse one format.
        detail = [{"loc": ["body", exc.field], "msg": exc.detail, "type": "value_error"}]
    return _render(request, exc.status_code, detail, headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    return _render(request, exc.status_code, exc.detail, headers)


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
