"""ix_receipts_free with a condition both planners can match (literals and columns only),
and status as a key column so that SQLite prefers it to ix_receipts_position

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FREE = "status = 'open' AND quantity > received + pegged"
FREE_0005 = "status = 'open' AND quantity - received > pegged"


def _create(where: str, columns: list[str]) -> None:
    op.create_index(
        "ix_receipts_free", "receipts", columns,
        postgresql_where=sa.text(where), sqlite_where=sa.text(where),
    )


def upgrade() -> None:
    op.drop_index("ix_receipts_free", table_name="receipts")
    _create(FREE, ["sku", "location", "status"])


def downgrade() -> None:
    op.drop_index("ix_receipts_free", table_name="receipts")
    _create(FREE_0005, ["sku", "location"])
