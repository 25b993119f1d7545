"""An index on the consumptions of each order line: an order's answer lists what
its lines consumed, and cancelling a line gives those units back (rule 9)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_consumptions_line", "consumptions", ["order_id", "line"])


def downgrade() -> None:
    op.drop_index("ix_consumptions_line", table_name="consumptions")
