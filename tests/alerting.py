"""Helpers for the alerting tests: a real HTTP receiver, the dispatcher run in-test, the wiring."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI

from statusping.domain.checks import CheckOutcome
from statusping.notifications.dispatcher import Dispatcher, DispatcherOptions
from statusping.services.recording import Observation, record

FAST = DispatcherOptions(poll_interval=0.05, backoff_base=0.2, backoff_max=1.0, lease=timedelta(seconds=30))


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that records every request and answers as told."""

    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers to give, in order; then 200
    answer_after: float = 0.0  # seconds to keep each request waiting (a slow receiver)
    port: int = 0
    _runner: web.AppRunner | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(Received(request.method, request.path, dict(request.headers), body))
        status = self.statuses.pop(0) if self.statuses else 200
        if self.answer_after:
            await asyncio.sleep(self.answer_after)
        return web.Response(status=status, text="ok" if status < 400 else "nope")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        assert site._server is not None
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, count: int = 1, within: float = 10.0) -> list[Received]:
        deadline = asyncio.get_running_loop().time() + within
        while len(self.requests) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} request(s), got {len(self.requests)}")
            await asyncio.sleep(0.02)
        return self.requests


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def running_dispatcher(app: FastAPI, options: DispatcherOptions = FAST) -> AsyncIterator[Dispatcher]:
    state = app.state
    dispatcher = Dispatcher(state.sessionmaker, state.settings, state.http_client, state.mailer, options)
    task = asyncio.create_task(dispatcher.run())
    try:
        yield dispatcher
    finally:
        dispatcher.stop()
        await task


async def record_with_alerts(app: FastAPI, monitor_id: str, outcome: CheckOutcome) -> None:
    """Record one check as the engine does; the recorder enqueues its alerts in the same transaction."""
    async with app.state.sessionmaker() as db, db.begin():
        await record(db, [Observation(uuid.UUID(monitor_id), outcome, datetime.now(UTC))], region="default")


async def create_channel(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/channels", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def notifications(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/notifications")
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows
