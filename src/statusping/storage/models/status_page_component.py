from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, CreatedAt, UuidPk


class StatusPageComponent(UuidPk, CreatedAt, Base):
    """A monitor shown on a status page, under its public name, in a group, at a position.

    A monitor appears at most once per page; its component id on the public surfaces is the
    monitor's id, so ids stay stable when an owner starts configuring components.
    """

    __tablename__ = "status_page_components"
    __table_args__ = (UniqueConstraint("status_page_id", "monitor_id"),)

    status_page_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("status_pages.id", ondelete="CASCADE"))
    monitor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    group_name: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
