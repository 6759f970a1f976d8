"""delivery attempts recorded before the send: a status (sending/sent/failed/unknown), no duration yet

Revision ID: 0021
Revises: 0016
Create Date: 2026-11-30 05:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=10), server_default="sent", nullable=False))
        batch_op.alter_column("duration_ms", existing_type=sa.Double(), nullable=True)
    # Every attempt so far was recorded after it ended: its ``ok`` says how.
    attempts = sa.table("delivery_attempts", sa.column("ok", sa.Boolean()), sa.column("status", sa.String()))
    op.execute(attempts.update().where(attempts.c.ok == sa.false()).values(status="failed"))


def downgrade() -> None:
    attempts = sa.table("delivery_attempts", sa.column("duration_ms", sa.Double()))
    op.execute(attempts.update().where(attempts.c.duration_ms.is_(None)).values(duration_ms=0.0))
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.alter_column("duration_ms", existing_type=sa.Double(), nullable=False)
        batch_op.drop_column("status")
