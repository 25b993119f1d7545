"""End-to-end fixtures: the real server, started as a subprocess, spoken to
over real HTTP with httpx.

- ``server``: one server per database kind (SQLite, PostgreSQL) for the
  whole session; tests keep out of each other's way with their own skus,
  locations, accounts and ids (the ``ids`` fixture).
- ``start_server``: a server of its own, on a fresh database, for tests that
  need the whole database (moving the calendar, "exactly one location").

PostgreSQL follows tests/conftest.py: skipped when no server answers,
except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import make_postgres_url

TODAY = "2026-01-05"
STARTUP_SECONDS = 60


@dataclass
class Server:
    url: str
    database: str
    process: subprocess.Popen[bytes]
    log: Path
    client: httpx.Client = field(init=False)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=60, headers=self.headers)

    def new_client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, headers=self.headers)

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(database_url: str, log_dir: Path, env: dict[str, str] | None = None,
           headers: dict[str, str] | None = None, workers: int = 1) -> Server:
    """Start ``python -m earmark.api`` on a free port and wait until it answers.

    One worker process unless asked (``earmark serve`` itself defaults to one
    per core on PostgreSQL; tests/e2e/test_workers.py runs several)."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("EARMARK_")}
    # The tests' webhook receivers listen on loopback (refused by default).
    full_env.update({"EARMARK_DATABASE_URL": database_url, "EARMARK_TODAY": TODAY,
                     "EARMARK_WEBHOOK_ALLOW_PRIVATE": "1"})
    full_env.update(env or {})
    full_env = {k: v for k, v in full_env.items() if v is not None}
    log = log_dir / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "earmark.api", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers)],
            env=full_env, stdout=out, stderr=subprocess.STDOUT,
        )
    dialect = "postgresql" if database_url.startswith("postgres") else "sqlite"
    server = Server(f"http://127.0.0.1:{port}", dialect, process, log, headers=headers or {})
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            # The health check answers without a key even when API keys are set.
            if server.client.get("/healthz").status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"the server did not answer within {STARTUP_SECONDS}s:\n"
                        f"{log.read_text()}")
        time.sleep(0.1)


def _database_url(request: pytest.FixtureRequest, directory: Path) -> Iterator[str]:
    """A fresh database of the kind ``request.param`` names, already migrated
    (a copy of the test process's template, tests/conftest.py): the server
    finds it at head instead of running every migration as it starts."""
    if request.param == "sqlite":
        path = directory / "earmark.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        yield from make_postgres_url(request.getfixturevalue("postgres_template"))


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=DATABASES)
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp(f"e2e-{request.param}")
    for url in _database_url(request, directory):
        running = launch(url, directory)
        try:
            yield running
        finally:
            running.stop()
            _fail_on_logged_errors(running)


def _fail_on_logged_errors(server: Server) -> None:
    text = server.log.read_text(errors="replace")
    if "Traceback" in text or "unhandled error" in text:
        pytest.fail(f"the server logged an error (every 5xx is a bug):\n{text[-5000:]}")


StartServer = Callable[..., Server]


@pytest.fixture(params=DATABASES)
def start_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StartServer]:
    """Start servers of this test's own, each on a fresh database of one kind."""
    started: list[Server] = []
    urls: list[Iterator[str]] = []

    def start(env: dict[str, str] | None = None,
              headers: dict[str, str] | None = None) -> Server:
        directory = tmp_path / f"db{len(started)}"
        directory.mkdir()
        generator = _database_url(request, directory)
        urls.append(generator)
        running = launch(next(generator), tmp_path, env, headers)
        started.append(running)
        return running

    try:
        yield start
    finally:
        for running in started:
            running.stop()
        for generator in urls:
            generator.close()  # drops the PostgreSQL database
        for running in started:
            _fail_on_logged_errors(running)


@pytest.fixture
def api(server: Server) -> httpx.Client:
    return server.client


class Ids:
    """Names unique to one test, so tests can share a server."""

    def __init__(self) -> None:
        self.tag = uuid.uuid4().hex[:8]

    def __call__(self, name: str) -> str:
        return f"{name}-{self.tag}"


@pytest.fixture
def ids() -> Ids:
    return Ids()


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def problem(response: httpx.Response, status: int, kind: str | None = None) -> dict[str, Any]:
    """Assert ``response`` is an RFC 9457 problem document with ``status``."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    document: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= document.keys()
    assert document["status"] == status
    if kind is not None:
        assert document["type"] == f"urn:earmark:problem:{kind}", document
    for error in document.get("errors", []):
        assert set(error) == {"field", "message"}
    return document


def last_event_id(client: httpx.Client) -> int:
    after = 0
    while True:
        page = ok(client.get("/v1/events", params={"after": after, "limit": 1000}))
        if page["items"]:
            after = page["items"][-1]["id"]
        if page["next_cursor"] is None:
            return after


def events_after(client: httpx.Client, after: int, type: str | None = None
                 ) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"after": after, "limit": 1000}
    if type:
        params["type"] = type
    items: list[dict[str, Any]] = []
    while True:
        page = ok(client.get("/v1/events", params=params))
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


@dataclass
class Position:
    sku: str
    location: str


def make_position(client: httpx.Client, ids: Ids, on_hand: int = 0, *,
                  item: dict[str, Any] | None = None, name: str = "SKU") -> Position:
    """An item at a location of its own, with ``on_hand`` units counted in."""
    position = Position(ids(name), ids(f"LOC-{name}"))
    ok(client.put(f"/v1/items/{position.sku}", json={"name": "An item", **(item or {})}), 201)
    ok(client.put(f"/v1/locations/{position.location}", json={"name": "A location"}), 201)
    if on_hand:
        ok(client.post("/v1/adjustments", json={
            "sku": position.sku, "location": position.location, "quantity": on_hand,
            "reason": "initial"}), 201)
    return position


def make_account(client: httpx.Client, ids: Ids, name: str = "acct", priority: int = 100) -> str:
    account = ids(name)
    ok(client.put(f"/v1/accounts/{account}", json={"name": name, "priority": priority}), 201)
    return account
