"""Live dashboards: the change record, the per-process poller and the Server-Sent-Event stream, read
from a real uvicorn server running the app (httpx's ASGI transport buffers whole responses, so an
endless stream needs a real socket) (issue 9)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from statusping.config import Settings
from statusping.engine.retention import prune
from statusping.engine.setup import retention_rules
from statusping.services.changes import GAP_PATIENCE_SECONDS, Change, ChangeCursor, note_changes
from statusping.storage.models import MonitorChange
from statusping.web.live import Server
from tests.conftest import free_port
from tests.support import eventually, signup
from tests.targets import SwitchableTarget


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"mode": "selfhosted", "min_interval_seconds": 10}


@dataclass
class Served:
    url: str
    server: Server
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self.task, 10)


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[Served]:
    """The fixture's app (already started) behind a real uvicorn server on a free port."""
    port = free_port()
    server = Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    running = Served(f"http://127.0.0.1:{port}", server, task)
    try:
        yield running
    finally:
        if not task.done():
            await running.stop()


@pytest.fixture
def base_url(served: Served) -> str:
    return served.url


@dataclass
class Stream:
    """Events read off an open /dashboard/events response, as EventSource would parse them."""

    response: httpx.Response
    events: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    ended: bool = False

    async def pump(self) -> None:
        kind, data, event_id = "message", "", None
        async for line in self.response.aiter_lines():
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
            elif line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line.startswith("id: "):
                event_id = line[4:]
            elif line == "" and data:
                self.events.append((kind, json.loads(data), event_id))
                kind, data, event_id = "message", "", None
        self.ended = True

    def changes(self) -> list[dict[str, Any]]:
        return [data for kind, data, _ in self.events if kind == "change"]

    def summaries(self) -> list[dict[str, Any]]:
        return [data for kind, data, _ in self.events if kind == "summary"]

    async def wait(self, condition: Any, within: float = 10.0) -> None:
        async def holds() -> bool:
            return bool(condition())

        await eventually(holds, within=within, every=0.02)


async def open_stream(client: httpx.AsyncClient, **params: Any) -> tuple[Stream, asyncio.Task[None]]:
    request = client.build_request("GET", "/dashboard/events", params=params)
    response = await client.send(request, stream=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    stream = Stream(response)
    return stream, asyncio.create_task(stream.pump())


async def close(stream: Stream, task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await stream.response.aclose()


async def since_of(client: httpx.AsyncClient) -> int:
    page = await client.get("/dashboard")
    found = re.search(r'data-since="(\d+)"', page.text)
    assert found, page.text
    return int(found.group(1))


async def failing_monitor(client: httpx.AsyncClient, target: SwitchableTarget, name: str = "Shop") -> str:
    body = {"name": name, "type": "http", "url": target.url, "interval_seconds": 300, "failure_threshold": 1}
    response = await client.post("/api/v1/monitors", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_a_recorded_state_change_reaches_an_open_stream_with_fresh_counts(
    base_url: str, target: SwitchableTarget
) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        await signup(client)
        monitor_id = await failing_monitor(client, target)
        stream, task = await open_stream(client, after=await since_of(client))
        try:
            await stream.wait(lambda: "connected" in stream.comments)
            target.status = 500
            assert (await client.post(f"/api/v1/monitors/{monitor_id}/check")).status_code == 200
            await stream.wait(lambda: any(c["status"] == "down" for c in stream.changes()))
            change = stream.changes()[-1]
            assert change["monitor_id"] == monitor_id
            assert change["at"].endswith("+00:00")
            await stream.wait(lambda: any(s["down"] == 1 for s in stream.summaries()))
            assert stream.summaries()[-1] == {
                "up": 0, "down": 1, "degraded": 0, "paused": 0, "maintenance": 0, "pending": 0,
            }  # fmt: skip
            assert (await client.post(f"/api/v1/monitors/{monitor_id}/pause")).status_code == 200
            await stream.wait(lambda: stream.changes()[-1]["status"] == "paused")
            assert (await client.delete(f"/api/v1/monitors/{monitor_id}")).status_code == 204
            await stream.wait(lambda: stream.changes()[-1]["status"] == "deleted")
        finally:
            await close(stream, task)


async def test_a_stream_replays_what_happened_since_the_page_was_rendered(
    base_url: str, target: SwitchableTarget
) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        await signup(client)
        monitor_id = await failing_monitor(client, target)
        since = await since_of(client)
        assert (await client.post(f"/api/v1/monitors/{monitor_id}/check")).status_code == 200  # pending → up
        stream, task = await open_stream(client, after=since)
        try:
            await stream.wait(lambda: bool(stream.summaries()))
            assert [c["status"] for c in stream.changes()] == ["up"]
            assert stream.events[0][2] is not None  # an id, so a reconnecting browser resumes after it
            # Reconnecting with Last-Event-ID replays nothing already seen.
            again = client.build_request(
                "GET",
                "/dashboard/events",
                params={"after": 0},
                headers={"Last-Event-ID": stream.events[0][2]},
            )
            response = await client.send(again, stream=True)
            second = Stream(response)
            pump = asyncio.create_task(second.pump())
            try:
                await second.wait(lambda: "connected" in second.comments)
                target.status = 500
                assert (await client.post(f"/api/v1/monitors/{monitor_id}/check")).status_code == 200
                await second.wait(lambda: bool(second.changes()))
                assert [c["status"] for c in second.changes()] == ["down"]
            finally:
                await close(second, pump)
        finally:
            await close(stream, task)


async def test_a_stream_carries_only_its_own_organizations_changes(
    base_url: str, target: SwitchableTarget
) -> None:
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=10) as owner,
        httpx.AsyncClient(base_url=base_url, timeout=10) as stranger,
    ):
        await signup(owner, organization="Owner Co")
        await signup(stranger, organization="Stranger Co")
        theirs = await failing_monitor(stranger, target, "Theirs")
        mine = await failing_monitor(owner, target, "Mine")
        stream, task = await open_stream(owner, after=await since_of(owner))
        try:
            await stream.wait(lambda: "connected" in stream.comments)
            target.status = 500
            assert (await stranger.post(f"/api/v1/monitors/{theirs}/check")).status_code == 200
            assert (await owner.post(f"/api/v1/monitors/{mine}/check")).status_code == 200
            await stream.wait(lambda: bool(stream.changes()))
            await stream.wait(lambda: bool(stream.summaries()))
            assert {c["monitor_id"] for c in stream.changes()} == {mine}
            assert stream.summaries()[-1]["down"] == 1
        finally:
            await close(stream, task)


async def test_heartbeats_keep_the_stream_open_and_a_stopping_server_ends_it(
    app: FastAPI, served: Served
) -> None:
    app.state.live.heartbeat_seconds = 0.1
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as client:
        await signup(client)
        stream, task = await open_stream(client)
        await stream.wait(lambda: stream.comments.count("heartbeat") >= 2)
        # uvicorn waits for open responses before it stops; the server ends the streams first.
        await served.stop()
        await stream.wait(lambda: stream.ended)
        await close(stream, task)


def test_the_cursor_hands_each_change_on_once_and_waits_for_late_commits() -> None:
    clock = [0.0]
    cursor = ChangeCursor(10, clock=lambda: clock[0])
    assert cursor.accept([11, 13]) == {11, 13}
    assert cursor.floor == 11  # 12 may still commit
    assert cursor.accept([13]) == set()  # read again from 12 on, handed on once
    assert cursor.accept([12, 13, 14]) == {12, 14}
    assert cursor.floor == 14
    assert cursor.accept([16]) == {16}
    clock[0] += GAP_PATIENCE_SECONDS + 1  # 15 was rolled back: stop waiting for it
    assert cursor.accept([16]) == set()
    assert cursor.floor == 16


async def test_the_change_record_keeps_a_day(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await signup(client)
    org_id = uuid.UUID((await client.get("/api/v1/me")).json()["organization"]["id"])
    now = datetime.now(UTC)
    async with app.state.sessionmaker() as db, db.begin():
        for age in (timedelta(hours=25), timedelta(hours=1)):
            await note_changes(db, [Change(org_id, uuid.uuid4(), "down")], now - age)
    await prune(app.state.sessionmaker, retention_rules(settings), owner="test", now=now)
    async with app.state.sessionmaker() as db:
        kept = (await db.scalars(select(MonitorChange.at))).all()
    assert [at > now - timedelta(days=1) for at in kept] == [True]
