from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, CreatedAt, UuidPk


class AutomaticIncidentUpdate(UuidPk, CreatedAt, Base):
    """What a page's owner adds to an automatic incident's timeline (the engine's outage facts
    stay in ``incidents``, untouched). Per page: the same outage may be told differently on two
    pages, and deleting a page or the incident takes its words with it."""

    __tablename__ = "automatic_incident_updates"
    __table_args__ = (Index("ix_automatic_incident_updates_page_incident", "status_page_id", "incident_id"),)

    status_page_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("status_pages.id", ondelete="CASCADE"))
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
