"""Shared fixtures: a fresh database of each kind.

PostgreSQL tests use ``EARMARK_TEST_POSTGRES_URL`` (default: the local
server, user postgres). When no server answers they skip with a message,
except in CI (``CI=true``), where a missing server is a failure.

A test that asks for a ``store`` gets its fresh database already migrated:
a copy of a template that each test process migrates once (a SQLite file
copied, a PostgreSQL ``CREATE DATABASE ... TEMPLATE``), rather than running
every migration again for each of some 400 tests. The store still runs
``upgrade()``, which finds the database at head. Tests that ask for a bare
``database_url`` (or ``postgres_url``) get an empty database, as before:
those are the ones that migrate it themselves or test what runs on an
empty one.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from earmark.service.clock import Clock
from earmark.service.uow import Store

POSTGRES_ADMIN_URL = os.environ.get(
    "EARMARK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
TODAY = date(2026, 1, 5)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Name each test of an ``xdist_group`` ``<nodeid>@<group>``, as pytest-xdist
    means to (on a worker, after xdist's own hook): xdist 3.8 sets
    ``item._nodeid``, which pytest 9 no longer reads (a node's id is its
    ``_id``), so every group was ignored and ``--dist loadgroup`` spread the
    browser tests, and the fault tests that must not starve each other, over
    both workers. Nothing is renamed where xdist's own naming took."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        groups = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                         for mark in item.iter_markers("xdist_group")})
        if groups and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


def _postgres_admin() -> object:
    import psycopg

    try:
        return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and did not answer: {error}")
        pytest.skip(f"no PostgreSQL server answers at {POSTGRES_ADMIN_URL}: {error}")


def make_postgres_url(template: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database (a copy of ``template`` if given), dropped afterwards."""
    admin = _postgres_admin()
    name = f"earmark_test_{uuid.uuid4().hex[:12]}"
    copied = f' TEMPLATE "{template}"' if template else ""
    admin.execute(f'CREATE DATABASE "{name}"{copied}')  # type: ignore[attr-defined]
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


def _migrate(url: str) -> None:
    template = Store(url, Clock(frozen=TODAY))
    try:
        template.upgrade()
    finally:
        template.dispose()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """The name of a migrated PostgreSQL database of this test process, to copy."""
    for url in make_postgres_url():
        _migrate(url)
        yield url.rsplit("/", 1)[1]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file of this test process, to copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "earmark.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from make_postgres_url()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    migrated = "store" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "earmark.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        template = request.getfixturevalue("postgres_template") if migrated else None
        yield from make_postgres_url(template)


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
