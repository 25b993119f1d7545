"""positions.held and receipts.pegged: units pegged to each bucket, kept by
every commit, so that a quote reads only the buckets with free units

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("positions") as batch:
        batch.add_column(sa.Column("held", sa.BigInteger(), nullable=False, server_default="0"))
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(sa.Column("pegged", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE positions SET held = COALESCE((SELECT SUM(p.quantity) FROM pegs p "
        "WHERE p.sku = positions.sku AND p.location = positions.location AND p.bucket = ''), 0)"
    )
    op.execute(
        "UPDATE receipts SET pegged = COALESCE((SELECT SUM(p.quantity) FROM pegs p "
        "WHERE p.sku = receipts.sku AND p.location = receipts.location AND p.bucket = receipts.id), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("receipts") as batch:
        batch.drop_column("pegged")
    with op.batch_alter_table("positions") as batch:
        batch.drop_column("held")
