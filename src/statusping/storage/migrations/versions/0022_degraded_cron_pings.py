"""degraded state, heartbeat ping log: monitors.degraded_ms / degraded_alerts / latency_streak, pings

Cron heartbeats need no column: their schedule and time zone live in the monitor's config.

Revision ID: 0022
Revises: 0019
Create Date: 2026-11-30 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("degraded_ms", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("degraded_alerts", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("latency_streak", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    op.create_table(
        "pings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("monitor_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("exit_status", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Double(), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("body_truncated", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["monitor_id"], ["monitors.id"], name=op.f("fk_pings_monitor_id_monitors"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pings")),
    )
    op.create_index("ix_pings_monitor_id_received_at", "pings", ["monitor_id", "received_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_pings_monitor_id_received_at", table_name="pings")
    op.drop_table("pings")
    with op.batch_alter_table("monitors", schema=None) as batch_op:
        batch_op.drop_column("latency_streak")
        batch_op.drop_column("degraded_alerts")
        batch_op.drop_column("degraded_ms")
