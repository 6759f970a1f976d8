"""multi-region checks: region_workers, region_schedules, monitors.quorum

Revision ID: 0025
Revises: 0023
Create Date: 2026-11-30 06:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quorum", sa.Integer(), nullable=True))
    op.create_table(
        "region_workers",
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_region_workers")),
    )
    op.create_index(op.f("ix_region_workers_region"), "region_workers", ["region"], unique=False)
    op.create_table(
        "region_schedules",
        sa.Column("monitor_id", sa.Uuid(), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("first_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_response_ms", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_region_schedules_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("monitor_id", "region", name=op.f("pk_region_schedules")),
    )
    op.create_index(
        "ix_region_schedules_region_next_check_at",
        "region_schedules",
        ["region", "next_check_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_region_schedules_region_next_check_at", table_name="region_schedules")
    op.drop_table("region_schedules")
    op.drop_index(op.f("ix_region_workers_region"), table_name="region_workers")
    op.drop_table("region_workers")
    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.drop_column("quorum")
