"""status page components, and when a page was last edited

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_page_components",
        sa.Column("status_page_id", sa.Uuid(), nullable=False),
        sa.Column("monitor_id", sa.Uuid(), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=True),
        sa.Column("group_name", sa.String(length=100), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_status_page_components_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_page_id"],
            ["status_pages.id"],
            name=op.f("fk_status_page_components_status_page_id_status_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_page_components")),
        sa.UniqueConstraint(
            "status_page_id", "monitor_id", name=op.f("uq_status_page_components_status_page_id")
        ),
    )
    with op.batch_alter_table("status_page_components", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_page_components_monitor_id"), ["monitor_id"], unique=False
        )
    with op.batch_alter_table("status_pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("status_pages", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
    with op.batch_alter_table("status_page_components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_page_components_monitor_id"))
    op.drop_table("status_page_components")
