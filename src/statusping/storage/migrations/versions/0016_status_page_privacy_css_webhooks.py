"""status pages: custom CSS, a password for private pages, the automatic-incident switches;
webhook subscribers

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 12:00:00.000000

Only columns are added (``ADD COLUMN`` on both databases, no table is rebuilt): rebuilding
``status_page_subscribers`` on SQLite with foreign keys on would cascade-delete its deliveries.
That is why a webhook subscriber keeps a non-null ``email`` key (see models/subscriber.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("status_pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("custom_css", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("show_automatic_incidents", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("notify_automatic_incidents", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("status_page_subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_url", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("status_page_subscribers", schema=None) as batch_op:
        batch_op.drop_column("webhook_url")
    with op.batch_alter_table("status_pages", schema=None) as batch_op:
        batch_op.drop_column("notify_automatic_incidents")
        batch_op.drop_column("show_automatic_incidents")
        batch_op.drop_column("password_hash")
        batch_op.drop_column("custom_css")
