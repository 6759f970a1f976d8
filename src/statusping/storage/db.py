"""Engines and sessions for SQLite (the zero-config default) and PostgreSQL (scale-out)."""

from __future__ import annotations

import os
from pathlib import Path
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
        make_private_database_files(path)
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


# SQLite creates the -wal and -shm files with the database file's permissions, so a database file
# created 0600 keeps all three private.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def make_private_database_files(path: Path) -> None:
    """Create the database file readable by its owner only, and tighten one left by an older version.

    It holds password hashes, session digests and every monitor's secrets; the umask of whoever
    starts the server (often 022) must not decide who can read it.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIDE_FILES)):
        try:
            if candidate.stat().st_mode & 0o077:
                candidate.chmod(0o600)
        except (FileNotFoundError, PermissionError):
            continue  # not there yet, or not ours to change: SQLite reports real problems itself


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
