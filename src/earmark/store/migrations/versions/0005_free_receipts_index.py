"""an index of the open receipts that still have free units (quotes read only those)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

FREE = "status = 'open' AND quantity - received > pegged"


def upgrade() -> None:
    op.create_index(
        "ix_receipts_free", "receipts", ["sku", "location"],
        postgresql_where=sa.text(FREE), sqlite_where=sa.text(FREE),
    )


def downgrade() -> None:
    op.drop_index("ix_receipts_free", table_name="receipts")
