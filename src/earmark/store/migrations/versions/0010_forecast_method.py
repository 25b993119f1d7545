"""forecasts.method_reason: why a forecast's method is "fallback" (API.md, "Forecasts")

Forecasts stored before it read as made by their model until the next run
replaces them: which of them fell back was not recorded.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("forecasts") as batch:
        batch.add_column(sa.Column("method_reason", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("forecasts") as batch:
        batch.drop_column("method_reason")
