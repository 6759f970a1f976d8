"""The app under test is the real app on a real database.

Migrations run once per test session (on SQLite, or on a fresh PostgreSQL database when
STATUSPING_TEST_DATABASE_URL points at a server); every test empties the tables after itself.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import URL, make_url

from statusping.app import create_app
from statusping.config import Settings
from statusping.security import use_hash_parameters
from statusping.storage.db import create_engine
from statusping.storage.migrate import upgrade
from statusping.storage.models import Base
from tests.support import SmtpSink

pytest_plugins = ["tests.targets"]

TEST_PG_URL = os.environ.get("STATUSPING_TEST_DATABASE_URL")

# Real argon2id, at a cost that keeps hundreds of sign-ups and failed logins fast (not a mock: the same
# code path hashes and verifies). Processes the tests start (serve, worker) keep the real cost.
use_hash_parameters(time_cost=1, memory_cost=1024, parallelism=1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _asyncpg_dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_admin(server: URL, sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(server))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not TEST_PG_URL:
        path = tmp_path_factory.mktemp("db") / "statusping-test.db"
        url = f"sqlite+aiosqlite:///{path}"
        asyncio.run(_migrate(url))
        yield url
        return
    server = make_url(TEST_PG_URL)
    name = f"statusping_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(server, f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(_pg_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(autouse=True)
def _fresh_signup_allowance(request: pytest.FixtureRequest) -> None:
    """Every test starts with the per-address sign-up allowance unused.

    The suite shares one database, and every sign-up comes from 127.0.0.1: without this, the 21st
    sign-up of the run in any hour is refused (20 per address per hour), so a test's outcome would
    depend on how many ran before it. The limit itself is tested within single tests.
    """
    if "database_url" not in request.fixturenames:
        return
    url = make_url(request.getfixturevalue("database_url"))
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(str(url.database)) as conn:
            conn.execute("DELETE FROM auth_failures WHERE scope = 'signup'")
        return
    # On a thread of its own: a browser test's thread already runs Playwright's event loop.
    sql = "DELETE FROM auth_failures WHERE scope = 'signup'"
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _pg_admin(url, sql)).result()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Tests override this to change one setting of the app they get."""
    return {}


@pytest.fixture
def settings(database_url: str, data_dir: Path, settings_overrides: dict[str, object]) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "base_url": "http://testserver",
        "mode": "saas",
        "smtp_host": None,
    }
    values.update(settings_overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
def engine_enabled() -> bool:
    """Tests override this to run the check engine inside the app, as `serve` does."""
    return False


@pytest.fixture
async def app(settings: Settings, engine_enabled: bool) -> AsyncIterator[FastAPI]:
    application = create_app(settings, migrate=False, engine=engine_enabled)
    async with application.router.lifespan_context(application):
        try:
            yield application
        finally:
            async with application.state.engine.begin() as conn:
                for table in reversed(Base.metadata.sorted_tables):
                    await conn.execute(table.delete())


def make_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as c:
        yield c


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
