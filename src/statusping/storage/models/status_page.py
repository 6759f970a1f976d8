from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, CreatedAt, UuidPk


class StatusPage(UuidPk, CreatedAt, Base):
    __tablename__ = "status_pages"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    show_powered_by: Mapped[bool] = mapped_column(default=True)
    # Last edit of the page itself (title, description, components); None until the first edit.
    updated_at: Mapped[datetime | None]
