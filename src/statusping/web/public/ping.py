"""Heartbeat pings, healthchecks' protocol: cron jobs and workers call these URLs.

No account and no CSRF token: the unguessable token in the URL is the secret, and a ping changes
nothing but its own monitor. ``Access-Control-Allow-Origin: *`` lets a browser job ping too. Every
route answers GET, POST and HEAD; the body (first 10 KB) is kept as the ping's log.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from statusping.services.heartbeats import PingKind, PingRequest, kind_of_exit_status, ping
from statusping.web.deps import Db, SettingsDep, now

router = APIRouter()
METHODS = ["GET", "POST", "HEAD"]


async def _ping(
    request: Request,
    token: str,
    kind: PingKind,
    db: Db,
    settings: SettingsDep,
    exit_status: int | None = None,
) -> PlainTextResponse:
    body = await _read_body(request)
    received = PingRequest(
        kind=kind,
        method=request.method,
        body=body,
        exit_status=exit_status,
        user_agent=request.headers.get("user-agent"),
        remote_addr=request.client.host if request.client else None,
    )
    await ping(db, token, received, region=settings.region, now=now())
    return PlainTextResponse("OK", headers={"Access-Control-Allow-Origin": "*"})


async def _read_body(request: Request) -> bytes:
    """The body up to a little past what is kept: enough to know it was cut, never a huge read."""
    if request.method == "HEAD":
        return b""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > 10_001:
            break
    return b"".join(chunks)


@router.api_route("/ping/{token}", methods=METHODS)
async def ping_success(request: Request, token: str, db: Db, settings: SettingsDep) -> PlainTextResponse:
    return await _ping(request, token, PingKind.SUCCESS, db, settings)


@router.api_route("/ping/{token}/fail", methods=METHODS)
async def ping_fail(request: Request, token: str, db: Db, settings: SettingsDep) -> PlainTextResponse:
    return await _ping(request, token, PingKind.FAIL, db, settings)


@router.api_route("/ping/{token}/start", methods=METHODS)
async def ping_start(request: Request, token: str, db: Db, settings: SettingsDep) -> PlainTextResponse:
    return await _ping(request, token, PingKind.START, db, settings)


@router.api_route("/ping/{token}/log", methods=METHODS)
async def ping_log(request: Request, token: str, db: Db, settings: SettingsDep) -> PlainTextResponse:
    return await _ping(request, token, PingKind.LOG, db, settings)


# Only digits match (like healthchecks' <int:exitstatus>): /ping/{token}/abc is a 404, /256 a 400.
@router.api_route("/ping/{token}/{exit_status:int}", methods=METHODS)
async def ping_exit_status(
    request: Request, token: str, exit_status: int, db: Db, settings: SettingsDep
) -> PlainTextResponse:
    kind = kind_of_exit_status(exit_status)
    return await _ping(request, token, kind, db, settings, exit_status)
