"""SIGKILL of the process running the alert dispatcher while a webhook is mid-send, then a restart.

`statusping serve --no-engine` serves the API; `statusping worker` runs the engine and the
dispatcher and is the process killed. The receiver holds the first request open, so the kill lands
after the request arrived and before any answer: the one case where nobody can know whether the
alert got through. What must hold, with the default lease (10 s):

- the try was on record before the send: the API shows it as ``sending`` while it hangs;
- after the restart the alert is delivered within 15 s;
- the cut-off try shows as ``unknown`` ("may have been sent") and the delivery counts it;
- both requests the receiver got carry the same ``Idempotency-Key`` (the delivery's id).

The processes get a database of their own of the kind the suite runs on (SQLite file or a fresh
PostgreSQL database).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_PG_URL
from tests.reliability.processes import (
    ServeProcess,
    WebhookSink,
    WorkerProcess,
    create,
    fresh_pg_database,
    get_json,
    until,
    webhook_sink,
)
from tests.support import signup
from tests.targets import SwitchableTarget

DELIVERED_WITHIN = 15.0  # seconds after the restart (issue 12)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[str]:
    if TEST_PG_URL:
        async with fresh_pg_database(TEST_PG_URL) as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'statusping.db'}"


@pytest.fixture
async def sink() -> AsyncIterator[WebhookSink]:
    async with webhook_sink() as server:
        yield server


async def test_a_dispatcher_killed_mid_send_is_retried_within_15_s_with_the_same_key_and_the_cut_off_try_on_record(
    tmp_path: Path, database: str, target: SwitchableTarget, sink: WebhookSink
) -> None:
    env = {
        "STATUSPING_DATABASE_URL": database,
        "STATUSPING_DATA_DIR": str(tmp_path / "data"),
        "STATUSPING_MODE": "selfhosted",  # the target and the receiver are on 127.0.0.1
        "STATUSPING_MIN_INTERVAL_SECONDS": "1",
        "STATUSPING_ALERT_RETRY_SECONDS": "1",
        # Half the default 10 s lease: the test proves a dead claim runs out and is taken first; with
        # the default it would leave a loaded CI machine's worker boot ~4 s of room. bench/alert_crash.py
        # measures the default (11-12 s after a restart, docs/benchmarks.md).
        "STATUSPING_ALERT_LEASE_SECONDS": "5",
    }
    web = ServeProcess(tmp_path / "web", env, extra_args=("--no-engine",))
    await web.start()
    worker = WorkerProcess(tmp_path / "worker", {**env, "STATUSPING_BASE_URL": web.url})
    try:
        async with httpx.AsyncClient(base_url=web.url, timeout=10) as client:
            await signup(client)
            hook = await create(
                client, "/api/v1/channels", {"name": "Hook", "kind": "webhook", "config": {"url": sink.url()}}
            )
            target.status = 503
            sink.hold = True
            await create(
                client,
                "/api/v1/monitors",
                {
                    "name": "Checkout",
                    "type": "http",
                    "url": target.url,
                    "interval_seconds": 2,
                    "timeout_seconds": 1.5,
                    "failure_threshold": 1,
                    "channel_ids": [hook["id"]],
                },
            )
            await worker.start()

            async def in_flight() -> dict[str, Any] | None:
                rows = await get_json(client, "/api/v1/notifications") or []
                if not rows or not sink.arrived:
                    return None
                detail: dict[str, Any] | None = await get_json(
                    client, f"/api/v1/notifications/{rows[0]['id']}"
                )
                return detail

            detail = await until(in_flight, within=60, what="the down alert mid-send", log=worker.log)
            assert [a["status"] for a in detail["attempt_log"]] == ["sending"]  # on record before the answer

            await worker.kill()
            sink.hold = False
            sink.release_dead_senders()  # its sender is gone: the held request counts as arrived, not delivered
            restarted = time.monotonic()  # from the new process's start, its boot time included
            await worker.start()

            async def delivered() -> bool:
                return bool(sink.delivered)

            await until(delivered, within=60, what="the alert re-sent after the restart", log=worker.log)
            took = time.monotonic() - restarted

            async def settled() -> dict[str, Any] | None:
                rows = await get_json(client, "/api/v1/notifications") or []
                if not rows or rows[0]["status"] != "sent":
                    return None
                found: dict[str, Any] | None = await get_json(
                    client, f"/api/v1/notifications/{rows[0]['id']}"
                )
                return found

            row = await until(settled, within=30, what="the delivery recorded as sent", log=worker.log)
    finally:
        await worker.stop()
        await web.stop()

    assert took <= DELIVERED_WITHIN, f"delivered {took:.1f} s after the restart"
    assert [a["status"] for a in row["attempt_log"]] == ["unknown", "sent"]
    assert row["attempts"] == 2
    assert row["maybe_sent_attempts"] == 1
    keys = [headers.get("Idempotency-Key") for headers in sink.arrived_headers]
    assert keys == [row["idempotency_key"], row["idempotency_key"]]
    assert [h.get("X-StatusPing-Delivery") for h in sink.arrived_headers] == keys
    assert [body["event"] for body in sink.arrived] == ["down", "down"]
    assert sink.arrived[0]["event_id"] == sink.arrived[1]["event_id"]
