"""What one request may carry: body size, header size and count, and storable path and query values.

The size limits sit in a pure ASGI middleware, so they hold under any server: a declared
``Content-Length`` over the limit is answered 413 before the app runs, and a chunked body is
counted while it streams in, so nothing ever buffers more than the limit.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from statusping.domain.errors import NotFound
from statusping.web.api.types import storable_text_problem

KIB = 1024
# The largest legitimate JSON body (a monitor with a 128 KiB request body, a long RRULE) is far below.
MAX_BODY_BYTES = 1024 * KIB
# A ping keeps the first 10 KB of its body as its log; a job that pipes more output is cut here, not
# refused, because refusing it would lose the ping and page someone for a job that ran fine.
PING_BODY_BYTES = 100 * KIB
PING_PREFIX = "/ping/"
# Browsers send a few KiB; nginx allows 4 x 8 KiB by default. `statusping serve` lets h11 buffer twice
# this much, so the app answers 431 itself rather than the server dropping the connection.
MAX_HEADER_BYTES = 32 * KIB
MAX_HEADERS = 100


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large: at most {limit // KIB} KiB")


class RequestLimitsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        if len(headers) > MAX_HEADERS or sum(len(n) + len(v) for n, v in headers) > MAX_HEADER_BYTES:
            detail = f"request header fields too large: at most {MAX_HEADERS}, {MAX_HEADER_BYTES // KIB} KiB"
            await _reply(scope, receive, send, 431, detail)
            return
        if any(b"\x00" in value for _, value in headers):
            await _reply(scope, receive, send, 400, "header values must not contain NUL bytes")
            return
        truncate = scope["path"].startswith(PING_PREFIX)
        limit = PING_BODY_BYTES if truncate else MAX_BODY_BYTES
        declared = _content_length(headers)
        if declared is not None and declared > limit and not truncate:
            await _reply(scope, receive, send, 413, BodyTooLarge(limit).detail)
            return
        limited = _LimitedBody(receive, limit, truncate=truncate)
        started = False

        async def watch_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, watch_send)
        except BodyTooLarge as exc:
            # Raised while the body streamed in, somewhere no exception handler was listening.
            if started:
                raise
            await _reply(scope, receive, send, 413, exc.detail)


class _LimitedBody:
    """``receive`` that counts body bytes: over the limit it raises 413, or for pings cuts the body."""

    def __init__(self, receive: Receive, limit: int, *, truncate: bool) -> None:
        self._receive = receive
        self._limit = limit
        self._truncate = truncate
        self._seen = 0
        self._ended = False

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] != "http.request" or self._ended:
            return message
        body: bytes = message.get("body", b"")
        self._seen += len(body)
        if self._seen <= self._limit:
            self._ended = not message.get("more_body", False)
            return message
        if not self._truncate:
            raise BodyTooLarge(self._limit)
        self._ended = True
        keep = len(body) - (self._seen - self._limit)
        return {"type": "http.request", "body": body[:keep], "more_body": False}


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _reply(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    response = JSONResponse({"detail": detail}, status_code=status, headers={"Connection": "close"})
    await response(scope, receive, send)


async def refuse_unstorable_params(request: Request) -> None:
    """App-wide dependency: a path value no row can hold names nothing (404); a query value is a 422.

    Servers decode ``%00`` in the path and query to a NUL byte, which PostgreSQL cannot even compare.
    """
    for value in request.path_params.values():
        if isinstance(value, str) and storable_text_problem(value):
            raise NotFound("not found")
    errors = [
        {"loc": ("query", name), "msg": problem, "type": "unstorable"}
        for name, value in request.query_params.multi_items()
        if (problem := storable_text_problem(name) or storable_text_problem(value))
    ]
    if errors:
        raise RequestValidationError(errors)
