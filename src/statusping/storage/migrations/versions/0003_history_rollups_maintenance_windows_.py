"""history: rollups, maintenance windows, pauses

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 05:51:49.013306
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "maintenances",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rrule", sa.Text(), nullable=True),
        sa.Column("monitor_ids", sa.JSON(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_maintenances_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenances")),
    )
    with op.batch_alter_table("maintenances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_maintenances_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "monitor_pauses",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("monitor_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_monitor_pauses_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_pauses")),
    )
    with op.batch_alter_table("monitor_pauses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_monitor_pauses_monitor_id_started_at", ["monitor_id", "started_at"], unique=False
        )

    op.create_table(
        "rollups_daily",
        sa.Column("monitor_id", sa.Uuid(), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("bucket_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("downtime_seconds", sa.Double(), nullable=False),
        sa.Column("response_count", sa.Integer(), nullable=False),
        sa.Column("response_sum", sa.Double(), nullable=False),
        sa.Column("response_min", sa.Double(), nullable=True),
        sa.Column("response_max", sa.Double(), nullable=True),
        sa.Column("dns_sum", sa.Double(), nullable=False),
        sa.Column("dns_count", sa.Integer(), nullable=False),
        sa.Column("connect_sum", sa.Double(), nullable=False),
        sa.Column("connect_count", sa.Integer(), nullable=False),
        sa.Column("tls_sum", sa.Double(), nullable=False),
        sa.Column("tls_count", sa.Integer(), nullable=False),
        sa.Column("ttfb_sum", sa.Double(), nullable=False),
        sa.Column("ttfb_count", sa.Integer(), nullable=False),
        sa.Column("h00", sa.Integer(), nullable=False),
        sa.Column("h01", sa.Integer(), nullable=False),
        sa.Column("h02", sa.Integer(), nullable=False),
        sa.Column("h03", sa.Integer(), nullable=False),
        sa.Column("h04", sa.Integer(), nullable=False),
        sa.Column("h05", sa.Integer(), nullable=False),
        sa.Column("h06", sa.Integer(), nullable=False),
        sa.Column("h07", sa.Integer(), nullable=False),
        sa.Column("h08", sa.Integer(), nullable=False),
        sa.Column("h09", sa.Integer(), nullable=False),
        sa.Column("h10", sa.Integer(), nullable=False),
        sa.Column("h11", sa.Integer(), nullable=False),
        sa.Column("h12", sa.Integer(), nullable=False),
        sa.Column("h13", sa.Integer(), nullable=False),
        sa.Column("h14", sa.Integer(), nullable=False),
        sa.Column("h15", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_rollups_daily_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("monitor_id", "region", "bucket_start", name=op.f("pk_rollups_daily")),
        # SQLite: the key is the table, so one monitor's buckets sit together and no rowid index is kept.
        sqlite_with_rowid=False,
    )
    op.create_table(
        "rollups_hourly",
        sa.Column("monitor_id", sa.Uuid(), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("bucket_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("downtime_seconds", sa.Double(), nullable=False),
        sa.Column("response_count", sa.Integer(), nullable=False),
        sa.Column("response_sum", sa.Double(), nullable=False),
        sa.Column("response_min", sa.Double(), nullable=True),
        sa.Column("response_max", sa.Double(), nullable=True),
        sa.Column("dns_sum", sa.Double(), nullable=False),
        sa.Column("dns_count", sa.Integer(), nullable=False),
        sa.Column("connect_sum", sa.Double(), nullable=False),
        sa.Column("connect_count", sa.Integer(), nullable=False),
        sa.Column("tls_sum", sa.Double(), nullable=False),
        sa.Column("tls_count", sa.Integer(), nullable=False),
        sa.Column("ttfb_sum", sa.Double(), nullable=False),
        sa.Column("ttfb_count", sa.Integer(), nullable=False),
        sa.Column("h00", sa.Integer(), nullable=False),
        sa.Column("h01", sa.Integer(), nullable=False),
        sa.Column("h02", sa.Integer(), nullable=False),
        sa.Column("h03", sa.Integer(), nullable=False),
        sa.Column("h04", sa.Integer(), nullable=False),
        sa.Column("h05", sa.Integer(), nullable=False),
        sa.Column("h06", sa.Integer(), nullable=False),
        sa.Column("h07", sa.Integer(), nullable=False),
        sa.Column("h08", sa.Integer(), nullable=False),
        sa.Column("h09", sa.Integer(), nullable=False),
        sa.Column("h10", sa.Integer(), nullable=False),
        sa.Column("h11", sa.Integer(), nullable=False),
        sa.Column("h12", sa.Integer(), nullable=False),
        sa.Column("h13", sa.Integer(), nullable=False),
        sa.Column("h14", sa.Integer(), nullable=False),
        sa.Column("h15", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_rollups_hourly_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("monitor_id", "region", "bucket_start", name=op.f("pk_rollups_hourly")),
        # SQLite: the key is the table, so one monitor's buckets sit together and no rowid index is kept.
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("rollups_hourly")
    op.drop_table("rollups_daily")
    with op.batch_alter_table("monitor_pauses", schema=None) as batch_op:
        batch_op.drop_index("ix_monitor_pauses_monitor_id_started_at")

    op.drop_table("monitor_pauses")
    with op.batch_alter_table("maintenances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maintenances_organization_id"))

    op.drop_table("maintenances")
