"""healthchecks' ping protocol on a real server: crontab curl lines, exit codes, /start, /log, bodies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from statusping.web.live import Server
from tests.conftest import free_port, make_client
from tests.support import SmtpSink, signup


@pytest.fixture
def settings_overrides(smtp_sink: SmtpSink) -> dict[str, object]:
    return {
        "mode": "selfhosted",
        "min_interval_seconds": 1,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_sink.port,
        "smtp_starttls": False,
    }


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The test's app behind a real uvicorn server, so curl can reach it."""
    port = free_port()
    server = Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def heartbeat(client: httpx.AsyncClient, served: str) -> tuple[dict[str, Any], str]:
    await signup(client)
    channel = await client.post(
        "/api/v1/channels", json={"name": "Ops", "kind": "email", "config": {"to": ["ops@example.com"]}}
    )
    assert channel.status_code == 201, channel.text
    response = await client.post(
        "/api/v1/monitors",
        json={
            "name": "Nightly backup",
            "type": "heartbeat",
            "interval_seconds": 3600,
            "grace_seconds": 60,
            "channel_ids": [channel.json()["id"]],
        },
    )
    assert response.status_code == 201, response.text
    monitor: dict[str, Any] = response.json()
    return monitor, served + monitor["ping_url"].removeprefix("http://testserver")


async def shell(command: str) -> tuple[int, bytes]:
    process = await asyncio.create_subprocess_exec(
        "sh", "-c", command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out


async def state(client: httpx.AsyncClient, monitor: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"/api/v1/monitors/{monitor['id']}")).json()
    return body


async def pings(client: httpx.AsyncClient, monitor: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/monitors/{monitor['id']}/pings")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def test_a_crontab_line_pings_with_curl_and_marks_the_heartbeat_up(
    client: httpx.AsyncClient, served: str
) -> None:
    monitor, url = await heartbeat(client, served)
    code, out = await shell(f"true && curl -fsS -m 10 --retry 5 -o /dev/null {url}")
    assert (code, out) == (0, b"")
    after = await state(client, monitor)
    assert after["status"] == "up"
    assert after["next_ping_expected_at"] is not None
    (ping,) = await pings(client, monitor)
    assert ping["kind"] == "success"
    assert ping["method"] == "GET"
    assert ping["user_agent"].startswith("curl/")
    assert ping["remote_addr"] == "127.0.0.1"
    # The body healthchecks answers, and a browser may ping from any page.
    raw = await shell(f"curl -sS -i {url}")
    assert raw[1].rstrip().endswith(b"OK")
    assert b"access-control-allow-origin: *" in raw[1].lower()


class TestWithTheDispatcher:
    @pytest.fixture
    def engine_enabled(self) -> bool:
        return True  # and with it the dispatcher that sends the alert

    async def test_exit_status_1_marks_it_down_at_once_and_alerts(
        self, client: httpx.AsyncClient, served: str, smtp_sink: SmtpSink
    ) -> None:
        await exit_status_1_marks_it_down(client, served, smtp_sink)


async def exit_status_1_marks_it_down(client: httpx.AsyncClient, served: str, smtp_sink: SmtpSink) -> None:
    monitor, url = await heartbeat(client, served)
    await shell(f"curl -fsS -m 10 --retry 5 -o /dev/null {url}")
    code, _ = await shell(f"sh -c 'exit 1'; curl -fsS -m 10 --retry 5 -o /dev/null {url}/$?")
    assert code == 0
    after = await state(client, monitor)
    assert after["status"] == "down"
    assert after["last_error"] == "the job exited with status 1"
    (mail,) = await smtp_sink.wait_for(1, within=20)
    assert "[DOWN] Nightly backup" in str(mail["Subject"])
    assert "exited with status 1" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # /0 is a success: the job recovered.
    await shell(f"curl -fsS -m 10 -o /dev/null {url}/0")
    assert (await state(client, monitor))["status"] == "up"
    assert [p["exit_status"] for p in await pings(client, monitor)] == [0, 1, None]


async def test_start_then_exit_0_records_the_run_and_its_log_capped_at_10_kb(
    client: httpx.AsyncClient, served: str
) -> None:
    monitor, url = await heartbeat(client, served)
    await shell(f"curl -fsS -m 10 -o /dev/null {url}/start")
    await asyncio.sleep(0.3)
    log = "backup: 1234 files\n" + "x" * 20_000
    code, _ = await shell(f"printf '%s' '{log}' | curl -fsS -m 10 -o /dev/null --data-binary @- {url}/0")
    assert code == 0
    done, start = await pings(client, monitor)
    assert start["kind"] == "start"
    assert done["kind"] == "success"
    assert done["method"] == "POST"
    assert done["duration_ms"] >= 300
    assert done["body"] == log[:10_000]
    assert done["body_truncated"] is True
    (result,) = (await client.get(f"/api/v1/monitors/{monitor['id']}/results")).json()
    assert result["response_ms"] == pytest.approx(done["duration_ms"], abs=1)  # results keep whole ms
    page = await client.get(f"/monitors/{monitor['id']}")
    assert "backup: 1234 files" in page.text
    assert "Recent pings" in page.text


async def test_log_keeps_the_body_and_changes_nothing(client: httpx.AsyncClient, served: str) -> None:
    monitor, url = await heartbeat(client, served)
    code, _ = await shell(f"curl -fsS -m 10 -o /dev/null --data-raw 'disk 91% full' {url}/log")
    assert code == 0
    after = await state(client, monitor)
    assert after["status"] == "pending"
    assert after["last_ping_at"] is None
    (ping,) = await pings(client, monitor)
    assert (ping["kind"], ping["body"]) == ("log", "disk 91% full")
    assert (await client.get(f"/api/v1/monitors/{monitor['id']}/results")).json() == []


async def test_bad_urls_answer_as_healthchecks_does(client: httpx.AsyncClient, served: str) -> None:
    monitor, url = await heartbeat(client, served)
    async with httpx.AsyncClient() as cron:
        assert (await cron.get(f"{url}/256")).status_code == 400
        assert (await cron.get(f"{url}/abc")).status_code == 404
        assert (await cron.get(f"{served}/ping/not-a-token")).status_code == 404
        assert (await cron.get(f"{served}/ping/not-a-token/0")).status_code == 404
        assert (await cron.head(url)).status_code == 200
    assert (await state(client, monitor))["status"] == "up"
    assert len(await pings(client, monitor)) == 1  # the HEAD; refused requests leave nothing


async def test_another_organization_cannot_read_the_pings(
    app: FastAPI, client: httpx.AsyncClient, served: str
) -> None:
    monitor, _ = await heartbeat(client, served)
    async with make_client(app) as outsider:
        await signup(outsider, organization="Other Org")
        assert (await outsider.get(f"/api/v1/monitors/{monitor['id']}/pings")).status_code == 404


async def test_only_the_newest_100_pings_are_kept_and_odd_bytes_are_stored_cleanly(
    client: httpx.AsyncClient, served: str
) -> None:
    monitor, url = await heartbeat(client, served)
    async with httpx.AsyncClient() as cron:
        for n in range(103):
            assert (await cron.post(f"{url}/log", content=f"line {n}".encode())).status_code == 200
        # A NUL byte (PostgreSQL refuses it in text) and bytes that are not UTF-8.
        assert (await cron.post(url, content=b"ok\x00\xff\xfe done\n")).status_code == 200
    kept = (await client.get(f"/api/v1/monitors/{monitor['id']}/pings?limit=100")).json()
    assert len(kept) == 100
    assert kept[0]["body"] == "ok\ufffd\ufffd done\n"
    assert kept[-1]["body"] == "line 4"  # the four oldest are gone
    too_many = await client.get(f"/api/v1/monitors/{monitor['id']}/pings?limit=101")
    assert too_many.status_code == 422
