"""monitor_changes: the change record open dashboards follow (live updates over SSE)

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitor_changes",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("monitor_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_monitor_changes_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_changes")),
    )
    op.create_index(op.f("ix_monitor_changes_at"), "monitor_changes", ["at"], unique=False)
    op.create_index(
        "ix_monitor_changes_organization_id_id", "monitor_changes", ["organization_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_monitor_changes_organization_id_id", table_name="monitor_changes")
    op.drop_index(op.f("ix_monitor_changes_at"), table_name="monitor_changes")
    op.drop_table("monitor_changes")
