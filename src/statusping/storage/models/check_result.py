"""Raw check results, laid out for size: they are most of the database.

Every column is a small integer (about 35 bytes a row on SQLite, 60 on PostgreSQL, index included):
the monitor by its integer ``monitors.num`` instead of a 16-byte UUID, the time as epoch
milliseconds, the region as ``regions.num``, the error kind as a code, durations as whole
milliseconds. No column is ever NULL (``-1``/``0`` stand for "none", see ``storage.types``) because
one NULL costs PostgreSQL 8 bytes of null bitmap per row; error text, which only failures have, lives
in ``check_errors``.

SQLite keeps the table as its primary key (WITHOUT ROWID): a monitor's results are stored together
in time order, and there is no second index to keep. PostgreSQL partitions the table by day
(migration 0023, ``storage.partitions``), so retention drops whole days, and indexes only
``monitor_num``: a B-tree on (monitor, time) fills to about half as every monitor appends in the
middle of it (47 bytes a row), while the single-column index deduplicates to about 9.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, SmallInteger
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from statusping.domain.checks import ErrorKind
from statusping.storage.models.base import Base
from statusping.storage.types import EpochMillis, OptionalCode, WholeMillis, WideWholeMillis

# Stored codes of the error kinds. Append only: a code, once written, keeps its meaning.
ERROR_KIND_CODES: dict[str, int] = {
    ErrorKind.TIMEOUT.value: 1,
    ErrorKind.DNS.value: 2,
    ErrorKind.CONNECTION.value: 3,
    ErrorKind.TLS.value: 4,
    ErrorKind.STATUS.value: 5,
    ErrorKind.KEYWORD.value: 6,
    ErrorKind.JSON.value: 7,
    ErrorKind.TOO_LARGE.value: 8,
    ErrorKind.SSRF_BLOCKED.value: 9,
    ErrorKind.HEARTBEAT_MISSED.value: 10,
    ErrorKind.OTHER.value: 11,
}
ERROR_KIND_NAMES: dict[int, str] = {code: name for name, code in ERROR_KIND_CODES.items()}


class ErrorKindCode(TypeDecorator[str]):
    """An error kind's name in Python, its small code (0 for none) in the database."""

    impl = SmallInteger
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> int:
        if value is None:
            return 0
        return ERROR_KIND_CODES.get(value, ERROR_KIND_CODES[ErrorKind.OTHER.value])

    def process_result_value(self, value: int | None, dialect: Dialect) -> str | None:
        return ERROR_KIND_NAMES.get(value or 0)


class CheckResult(Base):
    """One check of one monitor from one region."""

    __tablename__ = "check_results"
    __table_args__ = (
        Index("ix_check_results_monitor_num", "monitor_num").ddl_if(dialect="postgresql"),
        {"sqlite_with_rowid": False},
    )

    monitor_num: Mapped[int] = mapped_column(
        Integer, ForeignKey("monitors.num", ondelete="CASCADE"), primary_key=True
    )
    checked_at: Mapped[datetime] = mapped_column(EpochMillis, primary_key=True)
    region_num: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(OptionalCode, nullable=False)
    response_ms: Mapped[float | None] = mapped_column(WideWholeMillis, nullable=False)
    dns_ms: Mapped[float | None] = mapped_column(WholeMillis, nullable=False)
    connect_ms: Mapped[float | None] = mapped_column(WholeMillis, nullable=False)
    tls_ms: Mapped[float | None] = mapped_column(WholeMillis, nullable=False)
    ttfb_ms: Mapped[float | None] = mapped_column(WholeMillis, nullable=False)
    error_kind: Mapped[str | None] = mapped_column(ErrorKindCode, nullable=False)
