"""The network: lanes between locations, transfers along them, and order
lines placed by ``ship_to`` (one row per part, so the line's key gains its location)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lanes",
        sa.Column("from_location", sa.String(length=64), nullable=False),
        sa.Column("to_location", sa.String(length=64), nullable=False),
        sa.Column("transit_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("from_location", "to_location", name=op.f("pk_lanes")),
    )
    op.create_index("ix_lanes_to", "lanes", ["to_location", "from_location"])
    op.create_table(
        "transfers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("from_location", sa.String(length=64), nullable=False),
        sa.Column("to_location", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("shipped", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("cancelled", sa.BigInteger(), nullable=False),
        sa.Column("transit_days", sa.Integer(), nullable=False),
        sa.Column("need_date", sa.Date(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    op.create_index("ix_transfers_from", "transfers", ["sku", "from_location", "status"])
    op.create_index("ix_transfers_seq", "transfers", ["seq", "id"])
    with op.batch_alter_table("order_lines", recreate="always") as batch:
        batch.add_column(sa.Column("ship_to", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("split", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("transit_days", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.drop_constraint("pk_order_lines", type_="primary")
        batch.create_primary_key("pk_order_lines", ["order_id", "line", "location"])


def downgrade() -> None:
    with op.batch_alter_table("order_lines", recreate="always") as batch:
        batch.drop_constraint("pk_order_lines", type_="primary")
        batch.create_primary_key("pk_order_lines", ["order_id", "line"])
        batch.drop_column("transit_days")
        batch.drop_column("split")
        batch.drop_column("ship_to")
    op.drop_index("ix_transfers_seq", table_name="transfers")
    op.drop_index("ix_transfers_from", table_name="transfers")
    op.drop_table("transfers")
    op.drop_index("ix_lanes_to", table_name="lanes")
    op.drop_table("lanes")
