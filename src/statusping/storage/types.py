"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, SmallInteger
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out.

    SQLite has no time zones and hands back naive values; storing naive UTC there and re-attaching
    UTC on the way out means the rest of the code only ever sees aware UTC times.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use datetime.now(UTC)")
        if value.tzinfo is not UTC:  # skip the conversion on the hot path: nearly all are UTC already
            value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def epoch_ms(value: datetime) -> int:
    """Whole milliseconds since 1970, rounded up: a bound of ``>= since`` or ``< until`` given with
    microseconds selects exactly the rows a microsecond-precise column would (rows are whole ms)."""
    whole, rest = divmod(value - _EPOCH, _MS)
    return int(whole) + (1 if rest else 0)


def from_epoch_ms(value: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=value)


class EpochMillis(TypeDecorator[datetime]):
    """Aware UTC datetimes stored as integer milliseconds since 1970.

    Eight bytes on PostgreSQL and six in SQLite's variable-length integers, against a timestamp's
    eight and SQLite's 26-character text: the check results table is most of the database.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use datetime.now(UTC)")
        return epoch_ms(value)

    def process_result_value(self, value: int | None, dialect: Dialect) -> datetime | None:
        return None if value is None else from_epoch_ms(value)


# A measured duration fits a SMALLINT up to 32.767 s; longer phases are stored at that ceiling.
SMALL_MS_MAX = 32767
NOT_MEASURED = -1


class _Millis(TypeDecorator[float]):
    """An optional duration as whole milliseconds, ``-1`` standing for "not measured".

    A sentinel rather than NULL: on PostgreSQL one NULL in a row adds a null bitmap that pads the
    row header from 24 to 32 bytes. A measured time is never stored as 0 (it rounds up to 1 ms),
    so "fast" and "not measured" stay apart. A phase longer than 32.767 s is stored at that ceiling.
    """

    cache_ok = True
    ceiling = SMALL_MS_MAX

    def process_bind_param(self, value: float | None, dialect: Dialect) -> int:
        return whole_ms(value, self.ceiling)

    def process_result_value(self, value: int | None, dialect: Dialect) -> float | None:
        return None if value is None or value < 0 else float(value)


class WholeMillis(_Millis):
    impl = SmallInteger
    cache_ok = True


class WideWholeMillis(_Millis):
    """A whole response time: four bytes, as a timeout may run past the SMALLINT ceiling."""

    impl = Integer
    cache_ok = True
    ceiling = 2**31 - 1


def whole_ms(value: float | None, ceiling: int = SMALL_MS_MAX) -> int:
    if value is None:
        return NOT_MEASURED
    return min(ceiling, max(1, round(value)))


class OptionalCode(TypeDecorator[int]):
    """An optional small code (an HTTP status) with 0 for none, for the same reason as above."""

    impl = SmallInteger
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> int:
        return value or 0

    def process_result_value(self, value: int | None, dialect: Dialect) -> int | None:
        return value or None
