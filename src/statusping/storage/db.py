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
# Execution option of the sessions that serve GET/HEAD requests (``create_sessionmaker(read_first=True)``).
READ_FIRST = "statusping_read_first"
_LAZY = "statusping_lazy_begin"


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
        #
        # But a page view that only reads would hold the one write lock for its whole request, and a
        # stampede of them starves the check engine's writes (issue 12: the monitor list cut checks to
        # a fifth). So a read-first session (GET/HEAD requests) reads outside any transaction, each
        # statement on its own snapshot, and takes the lock just before its first write (or SELECT …
        # FOR UPDATE), as PostgreSQL's READ COMMITTED reads would see it.
        if conn.get_execution_options().get(READ_FIRST):
            conn.info[_LAZY] = True
            return
        conn.info[_LAZY] = False
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before_cursor_execute(
        conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        if conn.info.get(_LAZY) and _writes(statement, context):
            conn.info[_LAZY] = False
            cursor = conn.connection.dbapi_connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            cursor.close()

    @event.listens_for(engine.sync_engine, "commit")
    @event.listens_for(engine.sync_engine, "rollback")
    def _on_end(conn: Any) -> None:
        conn.info[_LAZY] = False

    return engine


def _writes(statement: str, context: Any) -> bool:
    """Whether a statement needs the write lock: anything but a plain read (SELECT … FOR UPDATE
    announces a write, though SQLite's dialect drops the clause from the SQL)."""
    if not statement.lstrip()[:7].upper().startswith(("SELECT", "PRAGMA")):
        return True
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


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


def create_sessionmaker(engine: AsyncEngine, *, read_first: bool = False) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``; ``read_first``: for requests that mostly read (on SQLite they take the
    write lock only when they first write; elsewhere it changes nothing)."""
    if read_first:
        engine = engine.execution_options(**{READ_FIRST: True})
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
