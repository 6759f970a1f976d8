from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from statusping.storage.models.base import Base, CreatedAt


class TwoFactor(CreatedAt, Base):
    """A user's TOTP authenticator: pending until a code confirms it, then on until disabled.

    The secret is stored encrypted with a key derived from the app's secret key
    (services/two_factor_secrets.py): a copy of the database alone cannot mint codes.
    """

    __tablename__ = "two_factor"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(String(255))
    # None while the user has scanned the code but not yet confirmed it with one.
    enabled_at: Mapped[datetime | None]
    # The last TOTP time step accepted: a code of this step or an earlier one is refused (replay).
    last_step: Mapped[int | None] = mapped_column(BigInteger)
