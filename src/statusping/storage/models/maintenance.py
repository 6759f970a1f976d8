from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, CreatedAt, UuidPk


class Maintenance(UuidPk, CreatedAt, Base):
    """A planned window: one-off (starts_at → ends_at) or recurring (the first occurrence + RRULE)."""

    __tablename__ = "maintenances"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    rrule: Mapped[str | None] = mapped_column(Text)
    # None: every monitor of the organization, now and later.
    monitor_ids: Mapped[list[str] | None] = mapped_column(JSON)
