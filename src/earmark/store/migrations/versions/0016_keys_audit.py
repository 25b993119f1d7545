"""API keys with scopes (stored as hashes), the actor of every event (the
audit trail, paged by actor) and webhook secrets sealed at rest

Existing events were caused by someone unknown: they record ``system``.
Existing webhook secrets are sealed here under the server key
(``EARMARK_SECRET_KEY``, else the generated key file, earmark.store.sealing),
so no plaintext secret survives the upgrade.

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

from earmark.store.sealing import Sealer

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("prefix", name="uq_api_keys_prefix"),
    )
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("actor", sa.String(64), nullable=False,
                                   server_default="system"))
    op.create_index("ix_events_actor", "events", ["actor", "id"])
    _seal_webhook_secrets()


def _seal_webhook_secrets() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("webhooks") as batch:
        batch.add_column(sa.Column("sealed_secret", sa.String(1000), nullable=True))
    webhooks = sa.table("webhooks", sa.column("id", sa.String), sa.column("secret", sa.String),
                        sa.column("sealed_secret", sa.String))
    rows = bind.execute(sa.select(webhooks.c.id, webhooks.c.secret)).all()
    if rows:
        sealer = Sealer.for_database(bind.engine.url.render_as_string(hide_password=False))
        for webhook_id, secret in rows:
            bind.execute(webhooks.update().where(webhooks.c.id == webhook_id)
                         .values(sealed_secret=sealer.seal(secret)))
    with op.batch_alter_table("webhooks") as batch:
        batch.alter_column("sealed_secret", existing_type=sa.String(1000), nullable=False)
        batch.drop_column("secret")


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("webhooks") as batch:
        batch.add_column(sa.Column("secret", sa.String(500), nullable=True))
    webhooks = sa.table("webhooks", sa.column("id", sa.String), sa.column("secret", sa.String),
                        sa.column("sealed_secret", sa.String))
    rows = bind.execute(sa.select(webhooks.c.id, webhooks.c.sealed_secret)).all()
    if rows:
        sealer = Sealer.for_database(bind.engine.url.render_as_string(hide_password=False))
        for webhook_id, sealed in rows:
            bind.execute(webhooks.update().where(webhooks.c.id == webhook_id)
                         .values(secret=sealer.open(sealed)))
    with op.batch_alter_table("webhooks") as batch:
        batch.alter_column("secret", existing_type=sa.String(500), nullable=False)
        batch.drop_column("sealed_secret")
    op.drop_index("ix_events_actor", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("actor")
    op.drop_table("api_keys")
