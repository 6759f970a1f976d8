from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base
from statusping.storage.types import EpochMillis


class CheckError(Base):
    """The error text of a failed check, keyed like its ``check_results`` row.

    Apart so that the results of successful checks (nearly all of them) carry no text column.
    """

    __tablename__ = "check_errors"
    __table_args__ = ({"sqlite_with_rowid": False},)

    monitor_num: Mapped[int] = mapped_column(
        Integer, ForeignKey("monitors.num", ondelete="CASCADE"), primary_key=True
    )
    checked_at: Mapped[datetime] = mapped_column(EpochMillis, primary_key=True)
    region_num: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    error: Mapped[str] = mapped_column(String(300))
