from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, utcnow


class AuthFailure(Base):
    """One counted attempt for rate limiting (a failed login, a reset request).

    Kept in the database rather than in memory so that every web node behind a load balancer
    counts the same attempts.
    """

    __tablename__ = "auth_failures"
    __table_args__ = (Index("ix_auth_failures_scope_key_created_at", "scope", "key", "created_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    scope: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(330))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
