from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.domain.plans import DEFAULT_PLAN
from statusping.storage.models.base import Base, CreatedAt, UuidPk


class Organization(UuidPk, CreatedAt, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    # The plan belongs to the organization, not the user: a team shares its limits.
    plan: Mapped[str] = mapped_column(String(20), default=DEFAULT_PLAN.value)
    # IANA zone name; new maintenance windows take it unless they name their own.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
