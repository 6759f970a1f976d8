"""The 90-day bars read the days with checks right, whether a monitor was checked every day or not."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, update

from statusping.storage.models import DailyRollup, Monitor
from tests.conftest import free_port
from tests.support import signup


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"allow_private_targets": True, "mode": "selfhosted"}  # no plan limit on history


async def _monitor(client: httpx.AsyncClient, name: str) -> str:
    response = await client.post(
        "/api/v1/monitors",
        json={"name": name, "type": "tcp", "host": "127.0.0.1", "port": free_port(),
              "interval_seconds": 300, "public": True},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    monitor_id: str = response.json()["id"]
    return monitor_id


async def _history(app: FastAPI, monitor_id: str, days_ago: list[int]) -> None:
    """The monitor exists since 20 days ago and was checked on ``days_ago`` (two regions each)."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    key = uuid.UUID(monitor_id)
    async with app.state.sessionmaker() as db, db.begin():
        await db.execute(
            update(Monitor).where(Monitor.id == key).values(created_at=today - timedelta(days=20))
        )
        await db.execute(
            insert(DailyRollup),
            [
                {"monitor_id": key, "region": region, "bucket_start": today - timedelta(days=n),
                 "checks": 288, "response_count": 288, "response_sum": 288 * 10.0}
                for n in days_ago for region in ("eu", "us")
            ],
        )  # fmt: skip


def _levels(html: str, monitor_id: str) -> list[tuple[str, str]]:
    row = html[html.index(f'data-component-id="{monitor_id}"') :]
    bar = row[: row.index("</ol>")]
    return re.findall(r'<li title="([^"]*)" data-level="(\w+)"', bar)


async def test_days_without_checks_are_no_data_and_checked_days_are_up(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    steady = await _monitor(client, "Checked every day")
    gappy = await _monitor(client, "Switched off for a while")
    await _history(app, steady, list(range(1, 20)))
    await _history(
        app, gappy, [19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 5, 4, 3, 2, 1]
    )  # no checks 9…6 days ago
    slug = (await client.get("/api/v1/me")).json()["organization"]["slug"]

    html = (await client.get(f"/s/{slug}")).text

    steady_cells, gappy_cells = _levels(html, steady), _levels(html, gappy)
    assert len(steady_cells) == len(gappy_cells) == 90
    # Today (index -1) has no rollup yet in either: the day has barely begun to be checked.
    assert [level for _, level in steady_cells[-20:-1]] == ["up"] * 19
    expected = ["up"] * 10 + ["none"] * 4 + ["up"] * 5  # 19 days ago … yesterday
    assert [level for _, level in gappy_cells[-20:-1]] == expected
    assert gappy_cells[-8][0].endswith(": no data")
    assert gappy_cells[-3][0].endswith(": 100% uptime, no downtime")
    assert all(level == "none" for _, level in steady_cells[:-21])  # before the monitor existed
    assert steady_cells[-21][1] == "none"  # its first day, not a single check
