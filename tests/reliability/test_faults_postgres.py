"""The PostgreSQL server goes away for 30 s under a running `statusping serve`, then comes back: the
engine and the dispatcher recover without a process restart and catch up (issue 8, item 9), and the
log says so in a few lines (issue 12): one per loop when it loses the database, one when it is back.

The test starts a PostgreSQL server of its own (initdb and pg_ctl from /usr/lib/postgresql/*/bin on a
free port, as the ``postgres`` OS user when run as root), so it does not depend on the suite's
database. It still runs in the PostgreSQL pass of the suite only (when STATUSPING_TEST_DATABASE_URL
is set), so CI pays its 30-odd seconds once. Without the binaries it is skipped, unless
STATUSPING_REQUIRE_POSTGRES=1 (set by .ci/run), in which case it fails.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_PG_URL
from tests.reliability.processes import (
    REQUIRE_POSTGRES,
    PostgresServer,
    ServeProcess,
    WebhookSink,
    create,
    get_json,
    postgres_bindir,
    until,
    webhook_sink,
)
from tests.support import signup
from tests.targets import SwitchableTarget

OUTAGE_SECONDS = 30.0

pytestmark = pytest.mark.skipif(
    not TEST_PG_URL, reason="runs once per CI run, in the PostgreSQL pass (STATUSPING_TEST_DATABASE_URL)"
)


@pytest.fixture
async def pg_server() -> AsyncIterator[PostgresServer]:
    bindir = postgres_bindir()
    if bindir is None:
        reason = "no initdb/pg_ctl under /usr/lib/postgresql/*/bin"
        if REQUIRE_POSTGRES:
            pytest.fail(f"STATUSPING_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    server = PostgresServer(bindir)
    try:
        await server.init()
        await server.start()
        yield server
    finally:
        await server.destroy()


@pytest.fixture
async def sink() -> AsyncIterator[WebhookSink]:
    async with webhook_sink() as server:
        yield server


@pytest.fixture
async def shop() -> AsyncIterator[SwitchableTarget]:
    """A second target, that fails while the database is away."""
    server = SwitchableTarget()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_thirty_seconds_without_the_database_and_monitoring_carries_on(
    tmp_path: Path,
    pg_server: PostgresServer,
    target: SwitchableTarget,
    shop: SwitchableTarget,
    sink: WebhookSink,
) -> None:
    serve = ServeProcess(
        tmp_path / "serve",
        {
            "STATUSPING_DATABASE_URL": pg_server.url,
            "STATUSPING_MODE": "selfhosted",
            "STATUSPING_MIN_INTERVAL_SECONDS": "1",
            "STATUSPING_ALERT_RETRY_SECONDS": "1",
            "STATUSPING_ALERT_LEASE_SECONDS": "5",
        },
    )
    await serve.start()
    try:
        async with httpx.AsyncClient(base_url=serve.url, timeout=10) as client:
            await signup(client)
            hook = await create(
                client, "/api/v1/channels", {"name": "Hook", "kind": "webhook", "config": {"url": sink.url()}}
            )
            monitors = {}
            for name, server in (("Steady", target), ("Shop", shop)):
                monitors[name] = await create(
                    client,
                    "/api/v1/monitors",
                    {
                        "name": name,
                        "type": "http",
                        "url": server.url,
                        "interval_seconds": 1,
                        "timeout_seconds": 0.9,
                        "failure_threshold": 2,
                        "retry_interval_seconds": 1,
                        "channel_ids": [hook["id"]],
                    },
                )

            async def statuses() -> dict[str, str | None]:
                found: dict[str, str | None] = {}
                for name, monitor in monitors.items():
                    body = await get_json(client, f"/api/v1/monitors/{monitor['id']}")
                    found[name] = body["status"] if body else None
                return found

            async def both_up() -> bool:
                return await statuses() == {"Steady": "up", "Shop": "up"}

            await until(both_up, within=30, what="first checks", log=serve.log)

            # The database goes away; meanwhile the shop starts failing.
            await pg_server.stop("fast")
            stopped = time.monotonic()
            shop.status = 503

            async def health_says_database_down() -> bool:
                try:
                    response = await client.get("/api/health")
                except httpx.TransportError:
                    return False
                return response.status_code == 503

            await until(
                health_says_database_down, within=10, what="/api/health noticing the outage", log=serve.log
            )
            while time.monotonic() - stopped < OUTAGE_SECONDS:  # the outage lasts its 30 s
                assert serve.alive, f"serve died during the database outage:\n{serve.log()[-6000:]}"
                await asyncio.sleep(0.5)
            await pg_server.start()
            back = datetime.now(UTC)

            async def healthy() -> bool:
                response = await client.get("/api/health")
                return response.status_code == 200

            await until(healthy, within=60, what="/api/health back to 200", log=serve.log)

            async def checked_since_back(name: str, count: int) -> bool:
                rows = await get_json(
                    client, f"/api/v1/monitors/{monitors[name]['id']}/results", since=back.isoformat()
                )
                return rows is not None and len(rows) >= count

            await until(
                lambda: checked_since_back("Steady", 3),
                within=30,
                what="checks recorded again",
                log=serve.log,
            )

            async def shop_alerted() -> bool:
                return bool(sink.delivered)

            await until(shop_alerted, within=30, what="the shop's down alert", log=serve.log)
            # A few more checks of the failing shop: a second alert would be written with them.
            alerted_at = datetime.now(UTC)

            async def shop_checked_after_alert() -> bool:
                rows = await get_json(
                    client, f"/api/v1/monitors/{monitors['Shop']['id']}/results", since=alerted_at.isoformat()
                )
                return rows is not None and len(rows) >= 3

            await until(shop_checked_after_alert, within=30, what="checks after the alert", log=serve.log)

            async def all_settled() -> list[dict[str, Any]]:
                rows = await get_json(client, "/api/v1/notifications") or []
                return rows if rows and all(r["status"] == "sent" for r in rows) else []

            rows = await until(all_settled, within=30, what="every delivery sent", log=serve.log)
            final = await statuses()
    finally:
        await serve.stop()

    assert serve.starts == 1  # recovered without a restart
    assert final == {"Steady": "up", "Shop": "down"}
    assert [(r["event"]["kind"], r["event"]["monitor_id"]) for r in rows] == [
        ("down", monitors["Shop"]["id"])
    ]
    assert [body["event"] for body in sink.delivered] == ["down"]
    assert "Shop" in sink.delivered[0]["monitor"]["name"]

    lines = serve.log().splitlines()
    assert not [line for line in lines if line.startswith("Traceback")], serve.log()[-6000:]
    said = [line for line in lines if re.search(r" (WARNING|ERROR|CRITICAL) statusping", line)]
    per_loop = Counter(line.split(": ", 1)[1].split()[0] for line in said)
    assert max(per_loop.values()) <= 3, "\n".join(said)
    assert any("engine.claim lost the database" in line for line in said), "\n".join(said)
    assert any(re.search(r"engine.claim has the database back after \d+\.\d s", line) for line in said)
