"""Check results in their compact layout read back exactly as the API promises, and the migration
that built the layout keeps every existing result."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url

from statusping.storage import partitions
from statusping.storage.db import create_engine
from statusping.storage.migrate import upgrade
from statusping.storage.models import CheckError, CheckResult, Monitor
from statusping.storage.repositories.results import ResultsRepository, count_old, prune_monitor
from tests.conftest import TEST_PG_URL, _pg_admin
from tests.support import signup
from tests.web.team_helpers import set_plan

NOW = datetime.now(UTC).replace(microsecond=0)


async def make_monitor(client: httpx.AsyncClient) -> uuid.UUID:
    created = await client.post(
        "/api/v1/monitors",
        json={"name": "x", "type": "http", "url": "https://example.com", "interval_seconds": 300},
    )
    return uuid.UUID(created.json()["id"])


async def test_results_read_back_as_the_api_shows_them_with_error_text_only_for_failures(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    monitor_id = await make_monitor(client)
    other = await make_monitor(client)
    async with app.state.sessionmaker() as db, db.begin():
        nums = {row[0]: row[1] for row in await db.execute(select(Monitor.id, Monitor.num))}
        assert len(set(nums.values())) == 2
        assert None not in nums.values()
        ok = {
            "monitor_id": monitor_id, "checked_at": NOW - timedelta(seconds=30, microseconds=1500),
            "region": "eu-west", "ok": True, "status_code": 200, "response_ms": 120.4, "dns_ms": 0.2,
            "connect_ms": 10.6, "tls_ms": None, "ttfb_ms": 40000.0, "error_kind": None, "error": None,
        }  # fmt: skip
        failed = {
            **ok, "checked_at": NOW, "ok": False, "status_code": None, "response_ms": None,
            "dns_ms": None, "connect_ms": None, "ttfb_ms": None, "error_kind": "timeout",
            "error": "timed out after 10 s",
        }  # fmt: skip
        await ResultsRepository(db).insert([ok, failed, {**failed, "monitor_id": other}], nums)
    rows = (await client.get(f"/api/v1/monitors/{monitor_id}/results")).json()
    assert rows == [
        {
            "checked_at": NOW.isoformat().replace("+00:00", "Z"), "region": "eu-west", "ok": False,
            "status_code": None, "response_ms": None,
            "timings": {"dns_ms": None, "connect_ms": None, "tls_ms": None, "ttfb_ms": None},
            "error_kind": "timeout", "error": "timed out after 10 s",
        },
        {
            # Whole milliseconds (a time rounds up), a measured time never reads as 0, a phase caps at 32.767 s.
            "checked_at": (NOW - timedelta(seconds=30, milliseconds=1)).isoformat().replace("+00:00", "Z"),
            "region": "eu-west", "ok": True, "status_code": 200, "response_ms": 120.0,
            "timings": {"dns_ms": 1.0, "connect_ms": 11.0, "tls_ms": None, "ttfb_ms": 32767.0},
            "error_kind": None, "error": None,
        },
    ]  # fmt: skip
    paged = await client.get(f"/api/v1/monitors/{monitor_id}/results?limit=1&until={rows[0]['checked_at']}")
    assert [r["ok"] for r in paged.json()] == [True]
    async with app.state.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(CheckError)) == 2  # failures only
    # Deleting a monitor takes its results along, so its number names nobody's history.
    assert (await client.delete(f"/api/v1/monitors/{other}")).status_code == 204
    async with app.state.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(CheckResult)) == 2
        assert await db.scalar(select(func.count()).select_from(CheckError)) == 1


async def test_postgres_makes_day_partitions_ahead_and_moves_early_rows_out_of_the_default(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    monitor_id = await make_monitor(client)
    later = NOW + timedelta(days=1000)  # a day no other test makes a partition for
    async with app.state.sessionmaker() as db, db.begin():
        num = await db.scalar(select(Monitor.num).where(Monitor.id == monitor_id))
        row = {
            "monitor_id": monitor_id, "checked_at": later, "region": "default", "ok": True,
            "status_code": 200, "response_ms": 5.0, "dns_ms": None, "connect_ms": None, "tls_ms": None,
            "ttfb_ms": None, "error_kind": None, "error": None,
        }  # fmt: skip
        await ResultsRepository(db).insert([row], {monitor_id: num})
    async with app.state.sessionmaker() as db, db.begin():
        created = await partitions.ensure_partitions(db, later.date(), ahead=0)
    async with app.state.sessionmaker() as db, db.begin():
        if app.state.engine.dialect.name != "postgresql":
            assert created == []  # SQLite: one table, nothing to make or drop
            assert await partitions.drop_partitions_before(db, later) == []
            return
        assert created == [partitions.partition_name(later.date())]
        in_day = await db.scalar(text(f"SELECT count(*) FROM {created[0]}"))  # noqa: S608
        in_default = await db.scalar(text(f"SELECT count(*) FROM {partitions.DEFAULT}"))  # noqa: S608
        assert (in_day, in_default) == (1, 0)
        dropped = await partitions.drop_partitions_before(db, later + timedelta(days=1))
        assert created[0] in dropped
        assert await db.scalar(select(func.count()).select_from(CheckResult)) == 0


async def test_the_migration_converts_existing_results(tmp_path_factory: pytest.TempPathFactory) -> None:
    if TEST_PG_URL:
        server = make_url(TEST_PG_URL)
        name = f"statusping_mig_{uuid.uuid4().hex[:12]}"
        await _pg_admin(server, f'CREATE DATABASE "{name}"')
        url = server.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('mig') / 'old.db'}"
    engine = create_engine(url)
    try:
        await upgrade(engine, "0023-1")
        monitor, org = uuid.uuid4(), uuid.uuid4()
        at = datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)
        async with engine.begin() as conn:
            sqlite = conn.dialect.name == "sqlite"

            def ident(value: uuid.UUID) -> object:
                return value.hex if sqlite else value

            def stamp(value: datetime) -> object:
                return value.replace(tzinfo=None).isoformat(sep=" ") if sqlite else value

            await conn.execute(
                text(
                    "INSERT INTO organizations (id, name, slug, plan, created_at) "
                    "VALUES (:id, 'o', 'o', 'free', :at)"
                ),
                {"id": ident(org), "at": stamp(at)},
            )
            await conn.execute(
                text(
                    "INSERT INTO monitors (id, organization_id, name, type, interval_seconds, timeout_seconds,"
                    " failure_threshold, retry_interval_seconds, public, regions, config, status, paused,"
                    " consecutive_failures, updated_at, created_at) VALUES (:id, :org, 'm', 'http', 60, 10,"
                    " 3, 30, false, '[]', '{}', 'up', false, 0, :at, :at)"
                ),
                {"id": ident(monitor), "org": ident(org), "at": stamp(at)},
            )
            for offset, ok, error in ((0, True, None), (1, False, "HTTP 503")):
                await conn.execute(
                    text(
                        "INSERT INTO check_results (monitor_id, checked_at, region, ok, status_code,"
                        " response_ms, dns_ms, connect_ms, tls_ms, ttfb_ms, error_kind, error) VALUES"
                        " (:m, :at, 'default', :ok, :code, 12.6, NULL, 3.2, NULL, 9.9, :kind, :error)"
                    ),
                    {
                        "m": ident(monitor), "at": stamp(at + timedelta(minutes=offset)), "ok": ok,
                        "code": 200 if ok else 503, "kind": None if ok else "status", "error": error,
                    },
                )  # fmt: skip
        await upgrade(engine, "0023")
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(CheckResult.checked_at, CheckResult.ok, CheckResult.status_code,
                           CheckResult.response_ms, CheckResult.dns_ms, CheckResult.connect_ms,
                           CheckResult.error_kind).order_by(CheckResult.checked_at)
                )
            ).all()  # fmt: skip
            errors = (await conn.execute(select(CheckError.error))).scalars().all()
            num = await conn.scalar(select(Monitor.num))
        assert num == 1
        millis = at.replace(microsecond=123000)
        assert [tuple(r) for r in rows] == [
            (millis, True, 200, 13.0, None, 3.0, None),
            (millis + timedelta(minutes=1), False, 503, 13.0, None, 3.0, "status"),
        ]
        assert errors == ["HTTP 503"]
    finally:
        await engine.dispose()
        if TEST_PG_URL:
            await _pg_admin(make_url(TEST_PG_URL), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_every_day_partition_name_sorts_by_day() -> None:
    assert partitions.partition_name(date(2026, 1, 2)) == "check_results_p20260102"


async def test_a_monitor_that_missed_its_number_gets_one_when_its_first_result_is_stored(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # As if a later SQLite migration had rebuilt monitors and dropped the numbering trigger.
    await signup(client)
    monitor_id = await make_monitor(client)
    async with app.state.sessionmaker() as db, db.begin():
        await db.execute(update(Monitor).where(Monitor.id == monitor_id).values(num=None))
    async with app.state.sessionmaker() as db, db.begin():
        row = {
            "monitor_id": monitor_id, "checked_at": NOW, "region": "default", "ok": True,
            "status_code": 204, "response_ms": 5.0, "dns_ms": None, "connect_ms": None, "tls_ms": None,
            "ttfb_ms": None, "error_kind": None, "error": None,
        }  # fmt: skip
        await ResultsRepository(db).insert([row], {monitor_id: None})  # type: ignore[dict-item]
    rows = (await client.get(f"/api/v1/monitors/{monitor_id}/results")).json()
    assert [r["status_code"] for r in rows] == [204]
    async with app.state.sessionmaker() as db:
        assert await db.scalar(select(Monitor.num).where(Monitor.id == monitor_id)) is not None


async def test_a_page_reaches_results_older_than_the_monitor_and_honours_since_and_until(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    me = await signup(client)
    await set_plan(app, me["organization"]["id"], "pro")  # 90 days of history: the 3-day-old result shows
    monitor_id = await make_monitor(client)
    ages = (timedelta(minutes=10), timedelta(hours=5), timedelta(days=3))
    async with app.state.sessionmaker() as db, db.begin():
        num = await db.scalar(select(Monitor.num).where(Monitor.id == monitor_id))
        rows = [
            {
                "monitor_id": monitor_id, "checked_at": NOW - age, "region": "default", "ok": True,
                "status_code": 200 + i, "response_ms": 5.0, "dns_ms": None, "connect_ms": None,
                "tls_ms": None, "ttfb_ms": None, "error_kind": None, "error": None,
            }
            for i, age in enumerate(ages)
        ]  # fmt: skip
        await ResultsRepository(db).insert(rows, {monitor_id: num})
    path = f"/api/v1/monitors/{monitor_id}/results"

    async def codes(query: str) -> list[int]:
        return [r["status_code"] for r in (await client.get(path + query)).json()]

    assert await codes("") == [200, 201, 202]
    assert await codes("?limit=2") == [200, 201]
    older = (NOW - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert await codes(f"?until={older}") == [201, 202]
    since = (NOW - timedelta(days=4)).isoformat().replace("+00:00", "Z")
    assert await codes(f"?since={since}&until={older}") == [201, 202]
    since = (NOW - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert await codes(f"?since={since}") == [200, 201]


async def test_a_backlog_of_old_results_is_deleted_a_bounded_number_at_a_time(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await signup(client)
    monitor_id = await make_monitor(client)
    async with app.state.sessionmaker() as db, db.begin():
        num = await db.scalar(select(Monitor.num).where(Monitor.id == monitor_id))
        rows = [
            {
                "monitor_id": monitor_id, "checked_at": NOW - timedelta(days=10, minutes=k), "region": "default",
                "ok": k % 2 == 0, "status_code": 200, "response_ms": 5.0, "dns_ms": None, "connect_ms": None,
                "tls_ms": None, "ttfb_ms": None, "error_kind": None if k % 2 == 0 else "status",
                "error": None if k % 2 == 0 else "HTTP 500",
            }
            for k in range(7)
        ] + [{
            "monitor_id": monitor_id, "checked_at": NOW, "region": "default", "ok": True, "status_code": 200,
            "response_ms": 5.0, "dns_ms": None, "connect_ms": None, "tls_ms": None, "ttfb_ms": None,
            "error_kind": None, "error": None,
        }]  # fmt: skip
        await ResultsRepository(db).insert(rows, {monitor_id: num})
    cutoff = NOW - timedelta(days=7)
    deleted: list[int] = []
    for _ in range(4):
        async with app.state.sessionmaker() as db, db.begin():
            assert await count_old(db, [num], cutoff) == 7 - sum(deleted)
            deleted.append(await prune_monitor(db, num, cutoff, limit=3))
    assert deleted == [3, 3, 1, 0]
    async with app.state.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(CheckResult)) == 1  # the recent one
        assert await db.scalar(select(func.count()).select_from(CheckError)) == 0  # text went along
