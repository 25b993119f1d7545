"""Alembic environment: runs on the connection earmark hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from earmark.store.db import normalise_url
from earmark.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    url = normalise_url(config.get_main_option("sqlalchemy.url") or "sqlite:///earmark.db")
    with create_engine(url).connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
