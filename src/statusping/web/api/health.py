from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from statusping import __version__

router = APIRouter(tags=["health"])


@router.get("/api/health")
async def health(request: Request) -> JSONResponse:
    """Liveness and readiness in one: 200 when the database answers, 503 when it does not."""
    body: dict[str, Any] = {"status": "ok", "version": __version__, "database": "ok"}
    try:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"; say which
        body.update(status="error", database=f"unreachable: {type(exc).__name__}")
        return JSONResponse(body, status_code=503)
    check_engine = request.app.state.check_engine
    if check_engine is not None:
        stats = check_engine.stats
        lag = stats.lag_percentile(0.99)
        body["engine"] = {
            "running": stats.active,
            "checks": stats.checks,
            "lag_p99_ms": None if lag is None else round(lag, 1),
        }
    return JSONResponse(body)
