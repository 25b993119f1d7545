"""Suppliers and their slips: a receipt names its supplier and keeps its first
expected date; the slip recorded when it is received in full feeds the
confidence dates (``likely_by``). Items and accounts choose which date their
customers are told (``promise_basis``).

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suppliers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
    )
    # Plain ADD COLUMNs of nullable columns: SQLite adds them in place. A batch
    # (copy and move) would rebuild receipts, and SQLite's planner, without
    # statistics, then prefers ix_receipts_position to the partial
    # ix_receipts_free (tests/integration/test_query_plans.py).
    op.add_column("receipts", sa.Column("supplier", sa.String(length=64), nullable=True))
    op.add_column("receipts", sa.Column("first_expected_date", sa.Date(), nullable=True))
    op.add_column("receipts", sa.Column("slip_days", sa.Integer(), nullable=True))
    # A receipt stored before this revision was first expected on the date it
    # has now: nothing older is known.
    op.execute("UPDATE receipts SET first_expected_date = expected_date")
    op.create_index("ix_receipts_supplier", "receipts", ["supplier", "slip_days"])
    op.add_column("items", sa.Column("promise_basis", sa.String(length=8), nullable=True))
    op.add_column("accounts", sa.Column("promise_basis", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("promise_basis")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("promise_basis")
    op.drop_index("ix_receipts_supplier", table_name="receipts")
    with op.batch_alter_table("receipts") as batch:
        batch.drop_column("slip_days")
        batch.drop_column("first_expected_date")
        batch.drop_column("supplier")
    op.drop_table("suppliers")
