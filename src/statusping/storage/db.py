"""Engines and sessions for SQLite (the zero-config default) and PostgreSQL (scale-out)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from statusping.config import make_private_dir, sqlite_path

SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_engine(database_url: str, *, echo: bool = False) -> AsyncEngine:
    if database_url.startswith("sqlite"):
        return _create_sqlite_engine(database_url, echo=echo)
    return create_async_engine(database_url, echo=echo, pool_pre_ping=True, pool_size=10)


def _create_sqlite_engine(database_url: str, *, echo: bool) -> AsyncEngine:
    path = sqlite_path(database_url)
    if path is not None:
        make_private_dir(path.parent)
    engine = create_async_engine(database_url, echo=echo)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the driver so that "begin" below decides how.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that reads and then writes cannot wait for the write lock: SQLite
        # fails it at once with "database is locked", busy_timeout or not. Taking the lock at BEGIN
        # makes concurrent writers queue politely instead. Writes are serialized by SQLite anyway.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
