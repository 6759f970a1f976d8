from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, CreatedAt, UuidPk


class Maintenance(UuidPk, CreatedAt, Base):
    """A planned window: one-off (starts_at → ends_at) or recurring (the first occurrence + RRULE).

    A recurring window repeats its first occurrence's wall-clock time in ``timezone`` (IANA name).
    """

    __tablename__ = "maintenances"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    rrule: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # When the last occurrence is over (one-off: ends_at; a rule with UNTIL: its last end); None
    # while it recurs for ever. Lookups skip windows that are over for good without reading them.
    series_ends_at: Mapped[datetime | None]
    # None: every monitor of the organization, now and later.
    monitor_ids: Mapped[list[str] | None] = mapped_column(JSON)
