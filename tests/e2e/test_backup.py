"""``earmark backup`` and ``earmark restore`` (issue 17, point 7): the demo
database is backed up while a server serves it and orders keep coming in,
restored into a fresh database, and ``earmark check`` passes on the copy,
whose orders are the source's as they stood at one moment."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import make_postgres_url
from tests.e2e.conftest import DATABASES, launch

from earmark.demo.data import DEMO_TODAY, load
from earmark.service.clock import Clock
from earmark.service.uow import Store

DEMO_ORDERS = 170
"""Orders the demo data holds: those it places (its orders and store orders)
and the closed orders of its four weeks of service history."""


def earmark(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The CLI as an operator runs it, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-c", "from earmark.cli.main import run; run()", *arguments],
        capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith("EARMARK_")})


def databases(kind: str, directory: Path) -> Iterator[tuple[str, str]]:
    """Two fresh databases of one kind: the source and the one restored into."""
    if kind == "sqlite":
        yield f"sqlite:///{directory}/source.db", f"sqlite:///{directory}/copy.db"
        return
    for source in make_postgres_url():
        for copy in make_postgres_url():
            yield source, copy


def orders_of(client: httpx.Client) -> dict[str, Any]:
    found: dict[str, Any] = {}
    params: dict[str, Any] = {"limit": 1000}
    while True:
        page = client.get("/v1/orders", params=params).json()
        found.update({order["id"]: order["lines"] for order in page["items"]})
        if page["next_cursor"] is None:
            return found
        params["cursor"] = page["next_cursor"]


@pytest.fixture(params=DATABASES)
def source_and_copy(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    yield from databases(request.param, tmp_path)


def test_a_backup_taken_while_serving_restores_to_a_copy_that_passes_earmark_check(
    source_and_copy: tuple[str, str], tmp_path: Path
) -> None:
    source, copy = source_and_copy
    store = Store(source, Clock(frozen=DEMO_TODAY, stamps_today=True))
    store.upgrade()
    load(store)
    store.dispose()
    server = launch(source, tmp_path, env={"EARMARK_TODAY": DEMO_TODAY.isoformat()})
    placed: list[str] = []
    stop = threading.Event()

    def keep_ordering() -> None:
        with server.new_client() as client:
            while not stop.is_set():
                order_id = f"LIVE-{len(placed) + 1}"
                answer = client.post("/v1/orders", json={"id": order_id, "account": "web", "lines": [
                    {"sku": "COAT-ASTRID-M", "location": "WEB", "quantity": 1}]})
                assert answer.status_code == 201, answer.text
                placed.append(order_id)

    ordering = threading.Thread(target=keep_ordering)
    try:
        before = len(orders_of(server.client))
        ordering.start()
        while len(placed) < 5:
            stop.wait(0.05)
        backup = tmp_path / "earmark.backup"
        backed_up = earmark("backup", "--database", source, str(backup))
        assert backed_up.returncode == 0, backed_up.stderr
        stop.set()
        ordering.join(30)
        served = orders_of(server.client)
    finally:
        stop.set()
        server.stop()
    restored = earmark("restore", "--database", copy, str(backup))
    assert restored.returncode == 0, restored.stderr
    checked = earmark("check", "--database", copy)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Restoring again over the copy, which now holds data, needs --force.
    again = earmark("restore", "--database", copy, str(backup))
    assert again.returncode == 1 and "--force" in again.stderr
    assert earmark("restore", "--database", copy, str(backup), "--force").returncode == 0
    copied_server = launch(copy, tmp_path, env={"EARMARK_TODAY": DEMO_TODAY.isoformat()})
    try:
        copied = orders_of(copied_server.client)
    finally:
        copied_server.stop()
    print(f"{before} orders before the backup, {len(copied)} in the copy, {len(served)} "
          f"served at the end ({len(placed)} placed while backing up); {checked.stdout.strip()}")
    assert before == DEMO_ORDERS
    assert before + 5 <= len(copied) <= len(served) == before + len(placed)
    # One moment's orders: each as the source has it, and none placed after a missing one.
    assert all(served[order_id] == lines for order_id, lines in copied.items())
    live = sorted(int(order_id.split("-")[1]) for order_id in copied if order_id.startswith("LIVE-"))
    assert live == list(range(1, len(live) + 1))
