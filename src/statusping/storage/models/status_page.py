from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, true
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
    # Branding (pro and business) and the custom domain (business): services/status_page_settings.py.
    logo_url: Mapped[str | None] = mapped_column(String(500))
    brand_color: Mapped[str | None] = mapped_column(String(7))
    custom_domain: Mapped[str | None] = mapped_column(String(253), unique=True)
    domain_token: Mapped[str | None] = mapped_column(String(64))
    domain_verified_at: Mapped[datetime | None]
    # Business: the page's own stylesheet, checked by domain/custom_css.py, served as /s/{slug}/custom.css.
    custom_css: Mapped[str | None] = mapped_column(Text)
    # Business: set, the page is private and visitors need this password (argon2, security.py).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Outages of the page's components as automatic incidents: shown on the page, mailed to subscribers.
    show_automatic_incidents: Mapped[bool] = mapped_column(default=True, server_default=true())
    notify_automatic_incidents: Mapped[bool] = mapped_column(default=True, server_default=true())


class StatusPageSlug(CreatedAt, Base):
    """A slug a page used before: its public addresses redirect to the page's current slug until
    another page takes the slug (services/status_page_settings.py)."""

    __tablename__ = "status_page_slugs"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    status_page_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("status_pages.id", ondelete="CASCADE"), index=True
    )
