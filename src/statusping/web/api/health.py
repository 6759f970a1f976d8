"""``GET /api/health``: liveness and readiness in one, as cheap as a static file.

It is polled by load balancers and uptime checkers, sometimes hard: it must never cost the check
engine anything. The database is asked ``SELECT 1`` at most once a second per process (callers in
between share the last answer, or the one in flight), and the background loops' state is read from
what they report (``statusping.process_status``): a few fields, nothing sorted or queried per call.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from statusping import __version__
from statusping.process_status import StatusSource

router = APIRouter(tags=["health"])

PING_EVERY = 1.0  # seconds an answer of the database stands for


class DatabasePing:
    """``SELECT 1``, at most once every ``PING_EVERY`` seconds; concurrent callers share one ping."""

    def __init__(self, engine: AsyncEngine, *, every: float = PING_EVERY) -> None:
        self.engine = engine
        self.every = every
        self._answered_at = -every
        self._answer = "ok"
        self._running: asyncio.Task[str] | None = None

    async def __call__(self) -> str:
        """ "ok", or "unreachable: <ErrorType>"."""
        if time.monotonic() - self._answered_at < self.every:
            return self._answer
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._ping())
        # Shielded: a caller that gives up does not cancel the ping the others wait for.
        return await asyncio.shield(self._running)

    async def _ping(self) -> str:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            answer = "ok"
        except Exception as exc:  # any driver error means "not ready"; say which
            answer = f"unreachable: {type(exc).__name__}"
        self._answer, self._answered_at = answer, time.monotonic()
        return answer


@router.get("/api/health")
async def health(request: Request) -> JSONResponse:
    """200 when the database answers and every background loop (engine, dispatcher) is making
    progress; 503 when the database does not answer or a loop is dead, has made no progress for
    ``STATUSPING_LOOP_STALL_SECONDS``, or (under ``serve``) the engine process stopped reporting."""
    database = await request.app.state.database_ping()
    body: dict[str, Any] = {"status": "ok", "version": __version__, "database": database}
    healthy = database == "ok"
    source: StatusSource | None = request.app.state.background_status
    status = source.current() if source is not None else None
    if status is not None:
        if status.loops:
            body["loops"] = status.loops
        healthy = healthy and status.healthy
        if status.engine is not None:
            body["engine"] = asdict(status.engine)
            # A warning, not a failure: this node is fine, and monitors carry on with the other
            # regions (a silent region is out of every quorum), but an operator should look.
            body["warnings"] = [
                f"region {name} has no live worker: its checks stopped and it is out of every quorum"
                for name in status.engine.silent_regions
            ]
    if not healthy:
        body["status"] = "error"
    return JSONResponse(body, status_code=200 if healthy else 503, headers={"Cache-Control": "no-store"})
