"""A check target the test can steer: healthy, failing, slow — switched while monitors watch it."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from aiohttp import web


class SwitchableTarget:
    def __init__(self) -> None:
        self.status = 200
        self.delay = 0.0
        self.body = "Welcome to the shop"
        self.hits: Counter[str] = Counter()
        self.hits_from: Counter[tuple[str, str]] = Counter()  # (monitor tag, client address)
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"

    @property
    def named_url(self) -> str:
        """Through a name, so a check resolves DNS and reports dns_ms."""
        return f"http://localhost:{self.port}/health"

    async def _handle(self, request: web.Request) -> web.Response:
        self.hits[request.query.get("m", "")] += 1
        self.hits_from[(request.query.get("m", ""), request.remote or "")] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=self.status, text=self.body)

    async def _hang(self, request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        return web.Response()  # pragma: no cover

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/health", self._handle)
        app.router.add_get("/hang", self._hang)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def target() -> AsyncIterator[SwitchableTarget]:
    server = SwitchableTarget()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
