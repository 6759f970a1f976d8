from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, CreatedAt, UuidPk


class StatusIncident(UuidPk, CreatedAt, Base):
    """A communication incident: what the page's owner tells visitors, with a timeline of updates.

    Automatic incidents (``incidents``) are facts measured by the engine; these are words written
    by people. ``status`` is the latest update's; ``resolved_at`` is set while it is resolved.
    """

    __tablename__ = "status_incidents"
    __table_args__ = (Index("ix_status_incidents_status_page_id_created_at", "status_page_id", "created_at"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    status_page_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("status_pages.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    impact: Mapped[str] = mapped_column(String(16))
    # The affected components (monitor ids, as on the public surfaces), in the order given.
    monitor_ids: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class StatusIncidentUpdate(UuidPk, CreatedAt, Base):
    """One entry of an incident's timeline: the status it moved to and what was said (markdown)."""

    __tablename__ = "status_incident_updates"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("status_incidents.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
