from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, false
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
    # Moves with every change a public status page shows (storage/status_versions.py), so every
    # web node's render cache knows with one cheap query whether its copy is still current.
    status_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # A downgrade hides history beyond the new plan's window but keeps it this long (services/plans.py),
    # so an upgrade within 30 days brings it back; retention keeps max(plan, kept days) until then.
    plan_changed_at: Mapped[datetime | None]
    previous_plan: Mapped[str | None] = mapped_column(String(20))
    history_kept_days: Mapped[int | None]
    history_kept_until: Mapped[datetime | None]
    # Set by the owner: members without two-factor sign-in are sent to set it up before they may
    # use the app or the API with a session (API keys are unaffected). services/two_factor.py.
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=false())
