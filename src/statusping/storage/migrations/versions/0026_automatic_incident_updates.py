"""updates on automatic incidents: automatic_incident_updates

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "automatic_incident_updates",
        sa.Column("status_page_id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["status_page_id"],
            ["status_pages.id"],
            name=op.f("fk_automatic_incident_updates_status_page_id_status_pages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_automatic_incident_updates_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automatic_incident_updates")),
    )
    with op.batch_alter_table("automatic_incident_updates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_automatic_incident_updates_page_incident", ["status_page_id", "incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_automatic_incident_updates_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("automatic_incident_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_automatic_incident_updates_incident_id"))
        batch_op.drop_index("ix_automatic_incident_updates_page_incident")
    op.drop_table("automatic_incident_updates")
