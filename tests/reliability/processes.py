"""Real processes and servers for the fault tests.

- ``ServeProcess``: a `statusping serve` process with its own directory and port, that can be
  killed (SIGKILL, with its engine process) and started again on the same database.
- ``PostgresServer``: a PostgreSQL server of the test's own (initdb/pg_ctl on a free port in a tmp
  dir), so the test can stop and start it; as root its commands run as the ``postgres`` OS user.
- ``WebhookSink``: a webhook receiver that can hold requests open (the sender is mid-send) and tells
  requests that arrived from those it answered 200 (delivered).
- ``fresh_pg_database``: a database of its own on the suite's PostgreSQL server.

Everything here waits without blocking the event loop: the check targets and receivers the serve
process talks to run on the test's loop, and a blocked loop would look like a failing target.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
from aiohttp import web
from sqlalchemy.engine import make_url

from tests.conftest import free_port
from tests.e2e.conftest import statusping_executable

T = TypeVar("T")

# CI says a PostgreSQL server the test starts itself must be possible there (a missing binary fails).
REQUIRE_POSTGRES = os.environ.get("STATUSPING_REQUIRE_POSTGRES") == "1"


async def until(
    check: Callable[[], Awaitable[T]],
    *,
    within: float,
    what: str,
    every: float = 0.1,
    log: Callable[[], str] | None = None,
) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``within`` seconds, saying ``what``."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = f"\n--- log of the serve process (tail) ---\n{log()[-6000:]}" if log else ""
            raise AssertionError(f"{what}: not within {within:g} s (last value: {value!r}){tail}")
        await asyncio.sleep(every)


# statusping serve -------------------------------------------------------------------------------


@dataclass
class ServeProcess:
    """`statusping serve` in ``workdir`` on a fixed port; each start appends to ``serve.log``."""

    workdir: Path
    env_extra: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    extra_args: tuple[str, ...] = ()  # e.g. ("--no-engine",)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "serve.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def argv(self) -> list[str]:
        serve = [statusping_executable(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        return [*serve, *self.extra_args]

    async def start(self, within: float = 60.0) -> None:
        """Start and wait until ``started``."""
        assert not self.alive, "already running"
        env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSPING_")}
        env.update({"STATUSPING_BASE_URL": self.url, **self.env_extra})
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start #{self.starts} =====\n".encode())
            log.flush()
            # Popen returns at once; every wait below polls without blocking the loop.
            self.process = subprocess.Popen(  # noqa: ASYNC220
                self.argv(),
                cwd=self.workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own: serve and its engine process
            )

        await until(self.started, within=within, what=f"{self.what} starting", log=self.log)

    what = "statusping serve"

    async def started(self) -> bool:
        """Up: it answers HTTP (after its migrations; health may still say 503)."""
        if not self.alive:
            raise AssertionError(f"{self.what} exited early:\n{self.log()[-6000:]}")
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                await client.get(f"{self.url}/api/health")
        except httpx.TransportError:
            return False
        return True

    async def kill(self) -> None:
        """SIGKILL to serve and its engine process at once, as an OOM kill of the container or a
        power cut would: no shutdown handler runs, nothing is flushed or released."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        await self._exited(within=10)

    async def stop(self) -> None:
        if not self.alive:
            return
        assert self.process is not None
        self.process.terminate()
        try:
            await self._exited(within=20)
        except AssertionError:
            self.process.kill()
            await self._exited(within=10)

    async def _exited(self, within: float) -> None:
        process = self.process
        assert process is not None

        async def gone() -> bool:
            return process.poll() is not None

        await until(gone, within=within, what=f"{self.what} exiting", every=0.02)


@dataclass
class WorkerProcess(ServeProcess):
    """`statusping worker` (check engine and alert dispatcher, no web) in ``workdir``; its log is
    ``serve.log`` there too. Up once its dispatcher has said it is starting."""

    what = "statusping worker"

    def argv(self) -> list[str]:
        return [statusping_executable(), "worker"]

    async def started(self) -> bool:
        if not self.alive:
            raise AssertionError(f"{self.what} exited early:\n{self.log()[-6000:]}")
        this_start = self.log().rsplit(f"===== start #{self.starts} =====", 1)[-1]
        return re.search(r"dispatcher \S+ starting", this_start) is not None


# PostgreSQL server of the test's own ------------------------------------------------------------


def postgres_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl, if any."""
    found = []
    for candidate in glob.glob("/usr/lib/postgresql/*/bin"):
        path = Path(candidate)
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            version = path.parent.name
            found.append((int(version) if version.isdigit() else 0, path))
    return max(found)[1] if found else None


class PostgresServer:
    """initdb + pg_ctl in a tmp dir on a free port, trust auth for ``postgres`` on 127.0.0.1."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="statusping-pg-"))
        self.data = self.root / "data"
        self.log_path = self.root / "server.log"
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:
            # initdb refuses to run as root: hand the directory to the postgres user and run as it.
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as_postgres = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def _run(self, *args: str) -> None:
        process = await asyncio.create_subprocess_exec(
            *self._as_postgres, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await process.communicate()
        if process.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({process.returncode}):\n{output.decode()}")

    async def init(self) -> None:
        await self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--no-sync",
        )  # fmt: skip

    async def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        await self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_path), "-o", options,
            "-w", "-t", "30", "start",
        )  # fmt: skip

    async def stop(self, mode: str = "fast") -> None:
        await self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    async def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(AssertionError):
                await self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.asynccontextmanager
async def fresh_pg_database(server_url: str) -> AsyncIterator[str]:
    """A new, empty database on the server of ``server_url``, dropped afterwards; yields its URL."""
    server = make_url(server_url)
    name = f"statusping_fault_{uuid.uuid4().hex[:12]}"
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    await admin(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# A webhook receiver that can keep the sender waiting ---------------------------------------------


class WebhookSink:
    """Records every webhook that arrives; ``delivered`` holds those it answered 200.

    With ``hold`` set, requests are read and then left unanswered until ``release()``: the sender
    is mid-send. A held request whose sender went away meanwhile counts as arrived, not delivered.
    """

    def __init__(self) -> None:
        self.arrived: list[dict[str, Any]] = []
        self.arrived_headers: list[dict[str, str]] = []  # of each arrived request, in order
        self.delivered: list[dict[str, Any]] = []
        self.hold = False
        self.port = 0
        self._release = asyncio.Event()
        self._senders_dead = False
        self._runner: web.AppRunner | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def release(self) -> None:
        self._release.set()

    def release_dead_senders(self) -> None:
        """Let go of the held requests of a sender that was killed: none of them counts as delivered.

        Checking the held connection for the sender's death races with the event loop noticing the
        closed socket; the test knows the sender is dead, so it says so.
        """
        self._senders_dead = True
        self._release.set()

    async def _handle(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        self.arrived.append(body)
        self.arrived_headers.append(dict(request.headers))
        if self.hold:
            await self._release.wait()
            if self._senders_dead or request.transport is None or request.transport.is_closing():
                return web.Response(status=499)  # nobody is listening any more
        self.delivered.append(body)
        return web.Response(text="ok")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()


@contextlib.asynccontextmanager
async def webhook_sink() -> AsyncIterator[WebhookSink]:
    sink = WebhookSink()
    await sink.start()
    try:
        yield sink
    finally:
        await sink.stop()


# The API, as a user drives it -------------------------------------------------------------------


async def create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def get_json(client: httpx.AsyncClient, path: str, **params: Any) -> Any:
    """GET that tolerates a server that is not answering yet (returns None)."""
    try:
        response = await client.get(path, params=params)
    except httpx.TransportError:
        return None
    if response.status_code != 200:
        return None
    return response.json()


def copy_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A fresh client with the same session and CSRF header (for after a restart)."""
    return httpx.AsyncClient(
        base_url=client.base_url, cookies=client.cookies, headers=client.headers, timeout=client.timeout
    )
