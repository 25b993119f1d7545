"""Shared fixtures: a fresh database of each kind.

PostgreSQL tests use ``EARMARK_TEST_POSTGRES_URL`` (default: the local
server, user postgres). When no server answers they skip with a message,
except in CI (``CI=true``), where a missing server is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date

import pytest

from earmark.service.clock import Clock
from earmark.service.uow import Store

POSTGRES_ADMIN_URL = os.environ.get(
    "EARMARK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
TODAY = date(2026, 1, 5)


def _postgres_admin() -> object:
    import psycopg

    try:
        return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and did not answer: {error}")
        pytest.skip(f"no PostgreSQL server answers at {POSTGRES_ADMIN_URL}: {error}")


def make_postgres_url() -> Iterator[str]:
    admin = _postgres_admin()
    name = f"earmark_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from make_postgres_url()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/earmark.db"
    else:
        yield from make_postgres_url()


def open_store(url: str) -> Iterator[Store]:
    """A migrated store on ``url``, frozen at TODAY, disposed of afterwards."""
    s = Store(url, Clock(frozen=TODAY))
    s.upgrade()
    try:
        yield s
    finally:
        s.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    yield from open_store(database_url)


@pytest.fixture
def postgres_store(postgres_url: str) -> Iterator[Store]:
    """A fresh PostgreSQL store (for tests of what only PostgreSQL does)."""
    yield from open_store(postgres_url)
