"""A real `statusping serve` process on a free port, for tests that need one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import free_port

# CI runs the browser, the server and the suite on two loaded cores: give a page up to 15 s to reach
# the state a test waits for (a passing test is not slowed; the default 5 s flaked there once).
expect.set_options(timeout=15_000)


@dataclass
class LiveServer:
    url: str
    workdir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def statusping_executable() -> str:
    found = Path(sys.executable).with_name("statusping")
    return str(found) if found.exists() else shutil.which("statusping") or "statusping"


def start_server(workdir: Path, env_extra: dict[str, str], *args: str) -> LiveServer:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSPING_")}
    env.update({"STATUSPING_BASE_URL": f"http://127.0.0.1:{port}", **env_extra})
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [statusping_executable(), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", workdir, process, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"statusping serve exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/api/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    stop_server(server)
    raise AssertionError(f"statusping serve did not become healthy:\n{server.log()}")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[LiveServer]:
    """One server for the session, on the suite's database (SQLite file or fresh PostgreSQL).

    Web only: on SQLite its engine would hold the one-engine lease for the whole session and keep
    the in-process engines of other tests waiting.
    """
    workdir = tmp_path_factory.mktemp("live")
    server = start_server(workdir, {"STATUSPING_DATABASE_URL": database_url}, "--no-engine")
    try:
        yield server
    finally:
        stop_server(server)
