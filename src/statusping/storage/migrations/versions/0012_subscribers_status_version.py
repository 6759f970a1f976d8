"""status page subscribers, deliveries to them, and the organizations' status version

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_page_subscribers",
        sa.Column("status_page_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("component_ids", sa.JSON(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["status_page_id"],
            ["status_pages.id"],
            name=op.f("fk_status_page_subscribers_status_page_id_status_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_page_subscribers")),
        sa.UniqueConstraint(
            "status_page_id", "email", name=op.f("uq_status_page_subscribers_status_page_id")
        ),
    )
    with op.batch_alter_table("status_page_subscribers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_page_subscribers_confirmed_at_created_at", ["confirmed_at", "created_at"], unique=False
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.alter_column("channel_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(sa.Column("subscriber_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_deliveries_subscriber_id"), ["subscriber_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_deliveries_subscriber_id_status_page_subscribers"),
            "status_page_subscribers",
            ["subscriber_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_version", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("status_version")
    op.execute("DELETE FROM deliveries WHERE channel_id IS NULL")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_deliveries_subscriber_id_status_page_subscribers"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_deliveries_subscriber_id"))
        batch_op.drop_column("subscriber_id")
        batch_op.alter_column("channel_id", existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table("status_page_subscribers", schema=None) as batch_op:
        batch_op.drop_index("ix_status_page_subscribers_confirmed_at_created_at")
    op.drop_table("status_page_subscribers")
