"""plan changes: monitors paused by the plan, channels suspended by it, history kept after a downgrade

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("previous_plan", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("history_kept_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("history_kept_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("paused_by_plan", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("plan_saved", sa.JSON(), nullable=True))
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("suspended_by_plan", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_column("suspended_by_plan")
    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.drop_column("plan_saved")
        batch_op.drop_column("paused_by_plan")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("history_kept_until")
        batch_op.drop_column("history_kept_days")
        batch_op.drop_column("previous_plan")
        batch_op.drop_column("plan_changed_at")
