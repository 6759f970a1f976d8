from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base


class RegionWorker(Base):
    """A check engine and the region it declared, with when it last reported (every few seconds).

    The live regions of an installation are those with a worker seen lately (``domain.regions``);
    a region whose workers all fell silent is excluded from quorums and shown to operators. Rows
    outlive their worker for a day so a silent region can be named; then they are pruned.
    """

    __tablename__ = "region_workers"

    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
