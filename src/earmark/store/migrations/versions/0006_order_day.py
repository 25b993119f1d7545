"""orders.ordered_on: earmark's day when an order was placed (the demand history's day)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("ordered_on", sa.Date(), nullable=True))
    # Orders placed before this revision: the real date they were created.
    day = "date(created_at)" if op.get_bind().dialect.name == "sqlite" else "CAST(created_at AS DATE)"
    op.execute(f"UPDATE orders SET ordered_on = {day} WHERE ordered_on IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("ordered_on")
