from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base


class Region(Base):
    """A region's name under the small number its check results carry (``check_results.region_num``).

    Rows are added on first use and never removed, so a number keeps naming the same region.
    """

    __tablename__ = "regions"

    num: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
