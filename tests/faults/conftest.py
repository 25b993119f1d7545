"""Fault tests: a real server under load while things are killed under it.

They need PostgreSQL (tests/conftest.py: skipped with a message when no
server answers, a failure in CI) and run in xdist groups of their own, so
that the load of one does not starve another's timings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import make_postgres_url
from tests.e2e.conftest import free_port
from tests.faults.load import ServerProcess


@pytest.fixture
def postgres_database() -> Iterator[str]:
    yield from make_postgres_url()


@pytest.fixture
def server_on(tmp_path: Path) -> Iterator[type[ServerProcess]]:
    """Start servers (``server_on(url)``) that are stopped after the test, even on failure."""
    started: list[ServerProcess] = []

    def start(database_url: str, env: dict[str, str] | None = None) -> ServerProcess:
        server = ServerProcess(database_url, free_port(), tmp_path, env)
        started.append(server)
        server.start()
        return server

    try:
        yield start  # type: ignore[misc]
    finally:
        for server in started:
            server.stop()
