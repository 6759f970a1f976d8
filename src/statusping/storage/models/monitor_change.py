from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base


class MonitorChange(Base):
    """One change of a monitor's shown status, for open dashboards to pick up.

    Written in the transaction that changes the status, so every web node sees the same record in
    commit order; the ever-growing id is the cursor each node's poller follows. Kept a day
    (``engine/retention.py``). ``monitor_id`` has no foreign key: a deleted monitor's last change
    (status ``deleted``) must outlive it.
    """

    __tablename__ = "monitor_changes"
    __table_args__ = (Index("ix_monitor_changes_organization_id_id", "organization_id", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    monitor_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(index=True)
