from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, CreatedAt, UuidPk


class UserSession(UuidPk, CreatedAt, Base):
    """A signed-in browser. Stored server-side so logout and password changes can end it."""

    __tablename__ = "user_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # A keyed hash of the cookie's token: a leaked table cannot be replayed as cookies.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    user_agent: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(64))
    # The organization this browser works in, for a user in several (services/accounts.py:account_of);
    # None or a membership since ended means the user's first organization.
    active_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
