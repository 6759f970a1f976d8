"""SIGKILL of `statusping serve` in the middle of an outage, then a restart on the same database:
every channel gets the down alert exactly once — none lost, none doubled (issue 8, item 9).

The kill lands at a known point: the outage is confirmed, the email has been sent and recorded as
sent, and the webhook is mid-send (the receiver holds the request open). After the restart the
webhook must come again (its claim outlived its sender) and the email must not; the engine, checking
the still-failing target again, must not open a second outage.

The serve process gets a database of its own of the kind the suite runs on: a SQLite file, or a
fresh database on the server of STATUSPING_TEST_DATABASE_URL.

And checking resumes within seconds of the restart (issue 12): on SQLite the dead engine's lock is an
OS lock the kernel dropped with it, so the new engine need not wait out the dead one's 30 s lease.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from statusping.storage.db import create_engine, create_sessionmaker
from statusping.storage.repositories.monitors import MonitorRepository
from tests.conftest import TEST_PG_URL
from tests.reliability.processes import (
    ServeProcess,
    WebhookSink,
    copy_client,
    create,
    fresh_pg_database,
    get_json,
    until,
    webhook_sink,
)
from tests.support import SmtpSink, signup
from tests.targets import SwitchableTarget

# Well short of the 30 s a dead engine's lease held checking back before the OS lock (issue 12).
LEASE_WAIT_SECONDS = 20.0


@pytest.fixture
async def serve_database(tmp_path: Path) -> AsyncIterator[str]:
    if TEST_PG_URL:
        async with fresh_pg_database(TEST_PG_URL) as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'serve' / 'data' / 'statusping.db'}"


@pytest.fixture
async def sink() -> AsyncIterator[WebhookSink]:
    async with webhook_sink() as server:
        yield server


async def test_sigkill_during_an_outage_neither_loses_nor_doubles_the_down_alert(
    tmp_path: Path, serve_database: str, target: SwitchableTarget, smtp_sink: SmtpSink, sink: WebhookSink
) -> None:
    serve = ServeProcess(
        tmp_path / "serve",
        {
            "STATUSPING_DATABASE_URL": serve_database,
            "STATUSPING_MODE": "selfhosted",  # the target and the receivers are on 127.0.0.1
            "STATUSPING_MIN_INTERVAL_SECONDS": "1",
            "STATUSPING_SMTP_HOST": "127.0.0.1",
            "STATUSPING_SMTP_PORT": str(smtp_sink.port),
            "STATUSPING_SMTP_STARTTLS": "false",
            # A delivery whose sender died comes due again after 8 s instead of 2 minutes.
            "STATUSPING_ALERT_LEASE_SECONDS": "8",
            "STATUSPING_ALERT_RETRY_SECONDS": "1",
        },
    )
    await serve.start()
    try:
        async with httpx.AsyncClient(base_url=serve.url, timeout=10) as client:
            await signup(client)
            mail = await create(
                client,
                "/api/v1/channels",
                {"name": "Ops", "kind": "email", "config": {"to": ["ops@example.com"]}},
            )
            hook = await create(
                client, "/api/v1/channels", {"name": "Hook", "kind": "webhook", "config": {"url": sink.url()}}
            )
            monitor = await create(
                client,
                "/api/v1/monitors",
                {
                    "name": "Checkout",
                    "type": "http",
                    "url": target.url,
                    "interval_seconds": 2,
                    "timeout_seconds": 1.5,
                    "failure_threshold": 2,
                    "retry_interval_seconds": 1,
                    "channel_ids": [mail["id"], hook["id"]],
                },
            )
            path = f"/api/v1/monitors/{monitor['id']}"

            async def status_is(wanted: str) -> bool:
                body = await get_json(client, path)
                return body is not None and body["status"] == wanted

            await until(lambda: status_is("up"), within=30, what="first check", log=serve.log)

            sink.hold = True
            target.status = 503

            async def email_sent_and_webhook_in_flight() -> bool:
                rows = await get_json(client, "/api/v1/notifications") or []
                sent = [r for r in rows if r["channel"]["kind"] == "email" and r["status"] == "sent"]
                return bool(sent) and bool(sink.arrived)

            await until(
                email_sent_and_webhook_in_flight, within=30, what="down alert half delivered", log=serve.log
            )
            await serve.kill()
            sink.hold = False  # from now on the receiver answers at once
            sink.release_dead_senders()  # the held request's sender is dead: it counts as not delivered
            killed_at = datetime.now(UTC)

            await serve.start()
            async with copy_client(client) as after:

                async def webhook_delivered() -> bool:
                    return len(sink.delivered) >= 1

                await until(
                    webhook_delivered, within=60, what="webhook re-sent after the restart", log=serve.log
                )

                async def checking_again() -> bool:
                    rows = await get_json(after, f"{path}/results", since=killed_at.isoformat())
                    return rows is not None and len(rows) >= 2

                # The restarted engine records the still-failing target again: any second outage or
                # duplicate alert would be written in those same transactions.
                await until(
                    checking_again, within=90, what="checks recorded after the restart", log=serve.log
                )

                async def all_settled() -> list[dict[str, Any]]:
                    rows = await get_json(after, "/api/v1/notifications") or []
                    return rows if rows and all(r["status"] == "sent" for r in rows) else []

                rows = await until(all_settled, within=30, what="every delivery sent", log=serve.log)
                current = await get_json(after, path)
                incidents = await get_json(after, f"{path}/incidents")
    finally:
        await serve.stop()

    assert current["status"] == "down"
    assert len(incidents) == 1, incidents
    assert sorted((r["event"]["kind"], r["channel"]["kind"]) for r in rows) == [
        ("down", "email"),
        ("down", "webhook"),
    ], rows
    assert [m["Subject"] for m in smtp_sink.messages] == ["[DOWN] Checkout — 503 Service Unavailable"]
    assert [body["event"] for body in sink.delivered] == ["down"]
    assert len(sink.arrived) == 2  # the one cut off by the kill, and the one delivered after it
    assert serve.starts == 2


async def test_after_a_sigkill_checking_resumes_within_five_seconds_of_the_restart(
    tmp_path: Path, serve_database: str, target: SwitchableTarget
) -> None:
    serve = ServeProcess(
        tmp_path / "serve",
        {
            "STATUSPING_DATABASE_URL": serve_database,
            "STATUSPING_MODE": "selfhosted",  # the target is on 127.0.0.1
            "STATUSPING_MIN_INTERVAL_SECONDS": "1",
        },
    )
    await serve.start()
    try:
        async with httpx.AsyncClient(base_url=serve.url, timeout=10) as client:
            await signup(client)
            ids = []
            for n in range(3):
                monitor = await create(
                    client,
                    "/api/v1/monitors",
                    {"name": f"Shop {n}", "type": "http", "url": target.url, "interval_seconds": 1},
                )
                ids.append(monitor["id"])

            async def results_since(since: datetime, monitor_id: str) -> list[dict[str, Any]]:
                rows = await get_json(
                    client, f"/api/v1/monitors/{monitor_id}/results", since=since.isoformat()
                )
                return rows or []

            started = datetime.now(UTC)
            await until(
                lambda: results_since(started, ids[-1]), within=30, what="first checks", log=serve.log
            )
            await serve.kill()
            killed_at = datetime.now(UTC)

            restarted = time.monotonic()
            starting = asyncio.create_task(serve.start())
            # Checking resumes when a result is stored: read the database itself, as the web side of
            # serve may come up a moment later than its engine.
            database = create_engine(serve_database)
            try:

                async def any_new_result() -> bool:
                    async with create_sessionmaker(database)() as db:
                        repo = MonitorRepository(db)
                        found = [await repo.results(uuid.UUID(i), limit=1, since=killed_at) for i in ids]
                    return any(found)

                await until(any_new_result, within=30, what="a check after the restart", log=serve.log)
                resumed_after = time.monotonic() - restarted
            finally:
                await database.dispose()
            await starting

            async def every_monitor_checked() -> bool:
                return all([await results_since(killed_at, monitor_id) for monitor_id in ids])

            await until(every_monitor_checked, within=10, what="every monitor checked again", log=serve.log)
    finally:
        await serve.stop()
    print(f"first check {resumed_after:.1f} s after the restart began")  # shown with pytest -s
    # The dead engine's lock used to hold checking back for its 30 s lease; now the OS lock is gone
    # with the process. bench/engine.py-style timings (4-5 s, docs/benchmarks.md) are measured with
    # the machine quiet; here the bound only has to tell "at once" from "after the lease", with room
    # for a loaded CI machine's start-up imports.
    assert resumed_after < LEASE_WAIT_SECONDS, (
        f"first check {resumed_after:.1f} s after the restart began\n{serve.log()[-3000:]}"
    )
    assert "another engine runs on this SQLite database" not in serve.log()
