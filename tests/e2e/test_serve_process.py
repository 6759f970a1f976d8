"""`statusping serve` as a user runs it: a real process, zero configuration, real HTTP."""

from __future__ import annotations

import json
import os
import signal
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import LiveServer, start_server, stop_server
from tests.reliability.processes import ServeProcess, create, get_json, until
from tests.support import PASSWORD, signup, unique_email
from tests.targets import SwitchableTarget


def test_a_fresh_directory_serves_with_zero_configuration(tmp_path: Path) -> None:
    server = start_server(tmp_path / "fresh", {})
    try:
        with httpx.Client(base_url=server.url) as client:
            email = unique_email()
            signup = client.post(
                "/api/v1/auth/signup",
                json={"email": email, "password": PASSWORD, "organization": "Fresh Start"},
            )
            assert signup.status_code == 201
            me = client.get("/api/v1/me").json()
            assert me["organization"]["slug"] == "fresh-start"
            assert client.get("/s/fresh-start").status_code == 200
            assert client.get("/").status_code == 200
        data = server.workdir / "data"
        assert (data / "statusping.db").exists()
        for private in (data, data / "secret_key"):
            mode = stat.S_IMODE(private.stat().st_mode)
            assert mode & (stat.S_IRWXG | stat.S_IRWXO) == 0, (private, oct(mode))
    finally:
        stop_server(server)


def test_the_generated_secret_survives_a_restart(tmp_path: Path) -> None:
    """Sessions outlive a restart, because the key generated on first start is reused."""
    workdir = tmp_path / "restart"
    server = start_server(workdir, {})
    try:
        with httpx.Client(base_url=server.url) as first:
            first.post(
                "/api/v1/auth/signup",
                json={"email": unique_email(), "password": PASSWORD, "organization": "Again"},
            )
            cookies = first.cookies
    finally:
        stop_server(server)
    key_before = (workdir / "data" / "secret_key").read_text()
    server = start_server(workdir, {})
    try:
        client = httpx.Client(base_url=server.url, cookies=cookies)
        assert client.get("/api/v1/me").status_code == 200
        assert (workdir / "data" / "secret_key").read_text() == key_before
    finally:
        client.close()
        stop_server(server)


def test_signup_and_csrf_over_real_http(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as client:
        response = client.post(
            "/api/v1/auth/signup",
            json={"email": unique_email(), "password": PASSWORD, "organization": "Live Org"},
        )
        assert response.status_code == 201
        assert client.post("/api/v1/auth/logout").status_code == 403
        csrf = client.cookies["statusping_csrf"]
        assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
        assert client.get("/api/v1/me").status_code == 401


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; it only waits for its parent to notice


async def test_serve_runs_its_engine_in_a_process_of_its_own_restarts_it_and_stops_it(
    tmp_path: Path, target: SwitchableTarget
) -> None:
    """Web traffic cannot starve checks that run in another process (issue 12); serve keeps that
    process alive, /api/health tells when it stops reporting, and a stop of serve stops it."""
    serve = ServeProcess(
        tmp_path / "serve", {"STATUSPING_MODE": "selfhosted", "STATUSPING_MIN_INTERVAL_SECONDS": "1"}
    )
    await serve.start()
    status_file = serve.workdir / "data" / "engine-status.json"

    async def engine_pid(other_than: int = 0) -> int | None:
        try:
            pid = int(json.loads(status_file.read_text())["pid"])
        except (OSError, ValueError, KeyError):
            return None
        return pid if pid != other_than else None

    try:
        async with httpx.AsyncClient(base_url=serve.url, timeout=10) as client:
            await signup(client)
            monitor = await create(
                client,
                "/api/v1/monitors",
                {"name": "Shop", "type": "http", "url": target.url, "interval_seconds": 1},
            )
            results = f"/api/v1/monitors/{monitor['id']}/results"

            async def checked_since(since: datetime) -> bool:
                return bool(await get_json(client, results, since=since.isoformat()))

            first = await until(engine_pid, within=30, what="the engine process reporting", log=serve.log)
            assert serve.process is not None
            assert first != serve.process.pid
            assert _parent_of(first) == serve.process.pid
            await until(
                lambda: checked_since(datetime.now(UTC) - timedelta(minutes=1)), within=30, what="checks"
            )
            body = (await client.get("/api/health")).json()
            assert {"engine.claim", "engine.recorder", "dispatcher"} <= set(body["loops"])
            assert body["engine"]["running"] is True

            # The engine process dies: serve starts another, and checking goes on.
            os.kill(first, signal.SIGKILL)
            killed_at = datetime.now(UTC)
            second = await until(
                lambda: engine_pid(first), within=30, what="a new engine process", log=serve.log
            )
            await until(
                lambda: checked_since(killed_at), within=30, what="checks after the restart", log=serve.log
            )

            # The engine process hangs: /api/health says so once it has not reported for 10 s.
            os.kill(second, signal.SIGSTOP)
            try:

                async def unhealthy() -> dict[str, Any] | None:
                    answer = await client.get("/api/health")
                    return answer.json() if answer.status_code == 503 else None

                body = await until(unhealthy, within=30, what="/api/health noticing the hung engine")
                assert "has not reported" in body["loops"]["engine.process"]["last_error"]
            finally:
                os.kill(second, signal.SIGCONT)

            async def healthy() -> bool:
                return (await client.get("/api/health")).status_code == 200

            await until(healthy, within=30, what="/api/health back to 200", log=serve.log)
        stopping = time.monotonic()
        await serve.stop()
        stopped_within = time.monotonic() - stopping
    finally:
        await serve.stop()
    assert not _alive(second)
    assert stopped_within < 10
    assert f"engine process {first} exited (code -9); restarting it" in serve.log()
