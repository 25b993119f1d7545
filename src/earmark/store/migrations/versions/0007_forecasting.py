"""forecasting: imported demand history, forecast runs and the latest forecast per position

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Tz = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "demand_history",
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("location", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("sku", "location", "day", name="pk_demand_history"),
    )
    op.create_table(
        "forecast_runs",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("backend", sa.String(16), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("positions_total", sa.Integer(), nullable=False),
        sa.Column("positions_done", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(2000), nullable=True),
        sa.Column("created_at", Tz, nullable=False),
        sa.Column("started_at", Tz, nullable=True),
        sa.Column("finished_at", Tz, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_forecast_runs"),
    )
    op.create_table(
        "forecasts",
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("location", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("accuracy", sa.JSON(), nullable=False),
        sa.Column("created_at", Tz, nullable=False),
        sa.PrimaryKeyConstraint("sku", "location", name="pk_forecasts"),
    )


def downgrade() -> None:
    op.drop_table("forecasts")
    op.drop_table("forecast_runs")
    op.drop_table("demand_history")
