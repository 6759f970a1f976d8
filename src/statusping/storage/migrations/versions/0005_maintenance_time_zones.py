"""maintenance time zones: maintenances.timezone, maintenances.series_ends_at, organizations.timezone

Existing windows and organizations get 'UTC' (what their rules were expanded in until now); one-off
windows get series_ends_at = ends_at so lookups can skip them once they are over. Recurring windows
keep series_ends_at NULL (always read), which is what they cost before.

Revision ID: 0005
Revises: 0006
Create Date: 2026-11-30 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("maintenances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False))
        batch_op.add_column(sa.Column("series_ends_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE maintenances SET series_ends_at = ends_at WHERE rrule IS NULL")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("timezone")
    with op.batch_alter_table("maintenances", schema=None) as batch_op:
        batch_op.drop_column("series_ends_at")
        batch_op.drop_column("timezone")
