"""status page branding, custom domains and the slugs a page used before

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_page_slugs",
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("status_page_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["status_page_id"],
            ["status_pages.id"],
            name=op.f("fk_status_page_slugs_status_page_id_status_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_status_page_slugs")),
    )
    with op.batch_alter_table("status_page_slugs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_page_slugs_status_page_id"), ["status_page_id"], unique=False
        )
    with op.batch_alter_table("status_pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logo_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("brand_color", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("custom_domain", sa.String(length=253), nullable=True))
        batch_op.add_column(sa.Column("domain_token", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("domain_verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_status_pages_custom_domain"), ["custom_domain"])


def downgrade() -> None:
    with op.batch_alter_table("status_pages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_status_pages_custom_domain"), type_="unique")
        batch_op.drop_column("domain_verified_at")
        batch_op.drop_column("domain_token")
        batch_op.drop_column("custom_domain")
        batch_op.drop_column("brand_color")
        batch_op.drop_column("logo_url")
    with op.batch_alter_table("status_page_slugs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_page_slugs_status_page_id"))
    op.drop_table("status_page_slugs")
