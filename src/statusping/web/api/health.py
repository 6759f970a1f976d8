from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from statusping import __version__

router = APIRouter(tags=["health"])


@router.get("/api/health")
async def health(request: Request) -> JSONResponse:
    """Liveness and readiness in one: 200 when the database answers and every background loop of
    this process (engine, dispatcher) is making progress; 503 when the database does not answer or a
    loop is dead or has made no progress for ``STATUSPING_LOOP_STALL_SECONDS``."""
    body: dict[str, Any] = {"status": "ok", "version": __version__, "database": "ok"}
    healthy = True
    try:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"; say which
        body["database"] = f"unreachable: {type(exc).__name__}"
        healthy = False
    supervisor = request.app.state.supervisor
    if supervisor.loops:
        body["loops"] = supervisor.report()
        healthy = healthy and supervisor.healthy()
    check_engine = request.app.state.check_engine
    if check_engine is not None:
        stats = check_engine.stats
        lag = stats.lag_percentile(0.99)  # recomputed at most every few seconds
        body["engine"] = {
            "running": stats.active,
            "checks": stats.checks,
            "recorded": stats.recorded,
            "pending": check_engine.pending,
            "lag_p99_ms": None if lag is None else round(lag, 1),
        }
    if not healthy:
        body["status"] = "error"
    return JSONResponse(body, status_code=200 if healthy else 503)
