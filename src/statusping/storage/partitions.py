"""PostgreSQL's daily partitions of ``check_results``: made ahead of time, dropped whole by retention.

Each day of results is its own table (``check_results_pYYYYMMDD``, a range of epoch milliseconds), so
retention drops a day with one statement that frees its pages at once, where deleting rows would
leave dead tuples for vacuum and churn the index. A default partition catches any row no day
partition takes (housekeeping not run for days, a clock far off); creating that day later moves
those rows over. SQLite has no partitions: everything here is a no-op there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from statusping.storage.types import epoch_ms

PARENT = "check_results"
DEFAULT = "check_results_pdefault"
_DAY_NAME = re.compile(r"^check_results_p(\d{8})$")
DAYS_AHEAD = 3


def partition_name(day: date) -> str:
    return f"check_results_p{day:%Y%m%d}"


def _bounds(day: date) -> tuple[int, int]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return epoch_ms(start), epoch_ms(start + timedelta(days=1))


def _postgres(db: AsyncSession) -> bool:
    return db.get_bind().dialect.name == "postgresql"


async def day_partitions(db: AsyncSession) -> dict[date, str]:
    rows = await db.execute(
        text(
            "SELECT c.relname FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid "
            "JOIN pg_class AS p ON p.oid = i.inhparent WHERE p.relname = :parent"
        ),
        {"parent": PARENT},
    )
    days: dict[date, str] = {}
    for (name,) in rows:
        match = _DAY_NAME.match(name)
        if match:
            days[datetime.strptime(match.group(1), "%Y%m%d").replace(tzinfo=UTC).date()] = name
    return days


async def ensure_partitions(db: AsyncSession, today: date, *, ahead: int = DAYS_AHEAD) -> list[str]:
    """Create the partitions of today and the next ``ahead`` days that do not exist yet.

    Built apart and attached (ATTACH takes a lock that lets inserts go on, where CREATE … PARTITION
    OF would stop them), after moving over any rows of that day the default partition took.
    """
    if not _postgres(db):
        return []
    existing = await day_partitions(db)
    created = []
    for offset in range(ahead + 1):
        day = today + timedelta(days=offset)
        if day in existing:
            continue
        name = partition_name(day)
        low, high = _bounds(day)
        await db.execute(text(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)"))
        # Names and bounds are made here from a date, never from input.
        take = f"DELETE FROM {DEFAULT} WHERE checked_at >= :low AND checked_at < :high RETURNING *"  # noqa: S608
        move = f"WITH moved AS ({take}) INSERT INTO {name} SELECT * FROM moved"  # noqa: S608
        await db.execute(text(move), {"low": low, "high": high})
        await db.execute(
            text(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ({low}) TO ({high})")
        )
        created.append(name)
    return created


async def drop_partitions_before(db: AsyncSession, cutoff: datetime) -> list[str]:
    """Drop every day partition that ends at or before ``cutoff``: all its rows are older."""
    if not _postgres(db):
        return []
    dropped = []
    for day, name in sorted((await day_partitions(db)).items()):
        if _bounds(day)[1] <= epoch_ms(cutoff):
            await db.execute(text(f"DROP TABLE {name}"))
            dropped.append(name)
    return dropped


def autogenerate_filter(dialect: str) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Alembic's ``include_object`` for comparing the models with a database of ``dialect``: the
    partitions are not in the models, and an index a model creates on one database only
    (``Index.ddl_if``) is not expected on the other."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and reflected and name is not None and name.startswith("check_results_p"):
            return False
        if type_ == "index" and not reflected:
            only_on = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
            if only_on is not None and only_on != dialect:
                return False
        return True

    return include
