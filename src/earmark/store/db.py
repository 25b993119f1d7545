"""Engines for SQLite (the embedded default) and PostgreSQL, and migrations.

SQLite runs in WAL mode. Writers are serialised with ``BEGIN IMMEDIATE``
(taken when a unit of work is opened for writing) so that two writers never
interleave; readers use deferred transactions and see the last commit.
PostgreSQL writers lock position rows in (sku, location) order instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import StaticPool

DEFAULT_DATABASE_URL = "sqlite:///earmark.db"


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and point them at psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def dialect_name(url: str) -> str:
    return "postgresql" if normalise_url(url).startswith("postgresql") else "sqlite"


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    memory = url in ("sqlite://", "sqlite:///:memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 60}}
    if memory:
        # One shared connection, or every checkout would see another empty database.
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event, not the driver, open transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def upgrade(engine: Engine) -> None:
    """Run the Alembic migrations up to head on ``engine``."""
    from alembic import command
    from alembic.config import Config

    here = Path(__file__).parent / "migrations"
    config = Config()
    config.set_main_option("script_location", str(here))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        if connection.in_transaction():
            connection.commit()
