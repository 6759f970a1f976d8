"""Heartbeat pings: cron jobs and workers call these URLs; no account, the token is the secret."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from statusping.services.heartbeats import PingKind, ping
from statusping.web.deps import Db, SettingsDep, now

router = APIRouter()


async def _ping(token: str, kind: PingKind, db: Db, settings: SettingsDep) -> PlainTextResponse:
    await ping(db, token, kind, region=settings.region, now=now())
    return PlainTextResponse("OK\n")


@router.api_route("/ping/{token}", methods=["GET", "POST", "HEAD"])
async def ping_success(token: str, db: Db, settings: SettingsDep) -> PlainTextResponse:
    return await _ping(token, PingKind.SUCCESS, db, settings)


@router.api_route("/ping/{token}/fail", methods=["GET", "POST", "HEAD"])
async def ping_fail(token: str, db: Db, settings: SettingsDep) -> PlainTextResponse:
    return await _ping(token, PingKind.FAIL, db, settings)


@router.api_route("/ping/{token}/start", methods=["GET", "POST", "HEAD"])
async def ping_start(token: str, db: Db, settings: SettingsDep) -> PlainTextResponse:
    return await _ping(token, PingKind.START, db, settings)
