"""The mail server is down (nothing listens on its port) while alerts pile up, then comes back:
every alert is delivered, once (issue 8, item 9).

In-process with the engine and dispatcher embedded as in `serve`; STATUSPING_ALERT_RETRY_SECONDS
shortens the dispatcher's first retry from 30 s to half a second (it doubles after each failure).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from tests.conftest import free_port
from tests.reliability.processes import create, get_json, until
from tests.support import SmtpSink, signup
from tests.targets import SwitchableTarget

MONITORS = ("Shop", "Checkout", "Search")


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def settings_overrides(smtp_port: int) -> dict[str, object]:
    return {
        "mode": "selfhosted",
        "min_interval_seconds": 1,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,  # nobody listens here until the test starts the mail server
        "smtp_starttls": False,
        "alert_retry_seconds": 0.5,
    }


@pytest.fixture
def engine_enabled() -> bool:
    return True


async def test_alerts_held_up_by_a_dead_mail_server_are_all_delivered_once_it_is_back(
    client: httpx.AsyncClient, target: SwitchableTarget, smtp_port: int
) -> None:
    await signup(client)
    mail = await create(
        client, "/api/v1/channels", {"name": "Ops", "kind": "email", "config": {"to": ["ops@example.com"]}}
    )
    ids = []
    for name in MONITORS:
        monitor = await create(
            client,
            "/api/v1/monitors",
            {
                "name": name,
                "type": "http",
                "url": target.url,
                "interval_seconds": 1,
                "timeout_seconds": 0.9,
                "channel_ids": [mail["id"]],
            },
        )
        ids.append(monitor["id"])

    async def all_are(status: str) -> bool:
        for monitor_id in ids:
            body = await get_json(client, f"/api/v1/monitors/{monitor_id}")
            if body is None or body["status"] != status:
                return False
        return True

    async def deliveries(kind: str, *, failed_attempts: int) -> list[dict[str, Any]]:
        """The ``kind`` alerts, once every monitor has one that failed at least this often."""
        rows = await get_json(client, "/api/v1/notifications") or []
        found = [r for r in rows if r["event"]["kind"] == kind]
        retried = [r for r in found if r["status"] == "pending" and r["attempts"] >= failed_attempts]
        return found if len(retried) == len(MONITORS) else []

    await until(lambda: all_are("up"), within=20, what="first checks")
    target.status = 503
    await until(lambda: all_are("down"), within=20, what="outage confirmed")
    await until(lambda: deliveries("down", failed_attempts=2), within=20, what="down alerts retried")
    target.status = 200
    await until(lambda: all_are("up"), within=20, what="recovery")
    await until(lambda: deliveries("up", failed_attempts=1), within=20, what="up alerts tried")

    sink = SmtpSink(port=smtp_port)
    sink.start()
    try:

        async def all_sent() -> list[dict[str, Any]]:
            rows = await get_json(client, "/api/v1/notifications") or []
            return rows if len(rows) == 2 * len(MONITORS) and all(r["status"] == "sent" for r in rows) else []

        rows = await until(all_sent, within=30, what="every alert sent once the mail server is back")
    finally:
        sink.stop()

    assert all(r["attempts"] >= 2 for r in rows)
    subjects = Counter(message["Subject"].split(" — ")[0] for message in sink.messages)
    assert subjects == Counter({f"[{kind}] {name}": 1 for name in MONITORS for kind in ("DOWN", "UP")})
