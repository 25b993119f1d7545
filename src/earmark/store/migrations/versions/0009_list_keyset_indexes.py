"""Indexes on the sort keys of the orders, commitments and receipts lists, so
that a keyset page (the rows just after a cursor) is read from an index, the
last page as cheaply as the first

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

LISTS = ("orders", "commitments", "receipts")


def upgrade() -> None:
    for table in LISTS:
        op.create_index(f"ix_{table}_seq", table, ["seq", "id"])


def downgrade() -> None:
    for table in LISTS:
        op.drop_index(f"ix_{table}_seq", table_name=table)
