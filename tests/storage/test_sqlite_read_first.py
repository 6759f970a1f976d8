"""On SQLite a page view must not hold the one write lock while it reads (issue 12): a stampede of
GET requests starved the check engine's writes. Read-first sessions (GET/HEAD requests) take the
lock only when they first write, and are then as transactional as any other session."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from statusping.storage.db import create_engine, create_sessionmaker
from statusping.storage.models import Lease
from statusping.storage.repositories.leases import LeaseRepository
from tests.conftest import TEST_PG_URL

pytestmark = pytest.mark.skipif(bool(TEST_PG_URL), reason="SQLite's write lock; PostgreSQL has no such lock")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        async with engine.begin() as conn:
            await conn.execute(Lease.__table__.delete())
        await engine.dispose()


async def take(engine: AsyncEngine, name: str) -> float:
    """Seconds a writer (an engine's kind of session) waited to write and commit."""
    started = time.monotonic()
    async with create_sessionmaker(engine)() as db, db.begin():
        await LeaseRepository(db).acquire(name, "engine", now=datetime.now(UTC), ttl=timedelta(seconds=30))
    return time.monotonic() - started


async def test_a_reading_request_leaves_the_write_lock_to_writers(engine: AsyncEngine) -> None:
    async with create_sessionmaker(engine, read_first=True)() as page:
        assert await page.scalar(select(func.count()).select_from(Lease)) == 0
        # Mid-request, with its reads done: a writer gets the lock at once instead of waiting 10 s.
        waited = await asyncio.wait_for(take(engine, "engine:sqlite"), 5)
        assert waited < 2
        assert await page.scalar(select(func.count()).select_from(Lease)) == 1  # each read is fresh
        await page.commit()


async def test_a_reading_request_that_writes_holds_the_lock_and_can_roll_back(engine: AsyncEngine) -> None:
    async with create_sessionmaker(engine, read_first=True)() as page:
        await page.scalar(select(func.count()).select_from(Lease))
        await LeaseRepository(page).acquire(
            "retention", "web", now=datetime.now(UTC), ttl=timedelta(seconds=30)
        )
        # From its first write on it is a transaction holding the write lock: a writer must wait.
        writer = asyncio.create_task(take(engine, "engine:sqlite"))
        await asyncio.sleep(0.5)
        assert not writer.done()
        await page.rollback()
        await asyncio.wait_for(writer, 10)
    async with engine.connect() as conn:
        names = set((await conn.execute(text("SELECT name FROM leases"))).scalars())
    assert names == {"engine:sqlite"}  # the rolled-back write is gone, the waiting writer's is there


async def test_a_select_for_update_takes_the_lock_before_it_reads(engine: AsyncEngine) -> None:
    async with create_sessionmaker(engine, read_first=True)() as page:
        await page.execute(select(Lease).with_for_update())
        writer = asyncio.create_task(take(engine, "engine:sqlite"))
        await asyncio.sleep(0.5)
        assert not writer.done()  # what it read cannot change under it until it ends
        await page.commit()
        await asyncio.wait_for(writer, 10)
