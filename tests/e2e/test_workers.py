"""Several server processes on one PostgreSQL (``earmark serve --workers N``):
each has its own batching writer, and row locks taken in (sku, location)
order keep them correct. Two processes selling one hot sku never oversell,
and a retried request (same Idempotency-Key) never doubles anything."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest
from tests.conftest import make_postgres_url
from tests.e2e.conftest import Server, launch, ok

from earmark.service.check import check_store
from earmark.service.clock import Clock
from earmark.service.uow import Store

STOCK = 40
ORDERS = 120
CALLERS = 12


def worker_processes(pid: int) -> list[int]:
    """The server's worker processes (multiprocessing's resource tracker left out)."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()
            if b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()]


def sell(servers: list[Server], sku: str) -> dict[str, list[tuple[int, dict[str, object]]]]:
    """ORDERS one-unit orders from CALLERS threads, spread over ``servers``;
    every order is sent twice with its key (the retry goes to the other server)."""
    answers: dict[str, list[tuple[int, dict[str, object]]]] = {}
    lock = threading.Lock()

    def caller(n: int) -> None:
        clients = [s.new_client() for s in servers]
        try:
            for i in range(n, ORDERS, CALLERS):
                oid = f"SO-{i}"
                body = {"id": oid, "account": "acme",
                        "lines": [{"sku": sku, "location": "WEB", "quantity": 1}]}
                got = []
                for attempt in range(2):
                    client = clients[(i + attempt) % len(clients)]
                    answer = client.post("/v1/orders", json=body, headers={"Idempotency-Key": oid})
                    got.append((answer.status_code, answer.json()))
                with lock:
                    answers[oid] = got
        finally:
            for client in clients:
                client.close()

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def seed(api: httpx.Client) -> None:
    ok(api.put("/v1/items/HOT", json={"name": "Hot item"}), 201)
    ok(api.put("/v1/locations/WEB", json={"name": "Web"}), 201)
    ok(api.put("/v1/accounts/acme", json={"name": "Acme"}), 201)
    ok(api.post("/v1/adjustments", json={"sku": "HOT", "location": "WEB", "quantity": STOCK,
                                         "reason": "initial"}), 201)


def assert_sold_exactly_once(api: httpx.Client, url: str,
                             answers: dict[str, list[tuple[int, dict[str, object]]]]) -> None:
    assert len(answers) == ORDERS
    statuses = Counter(status for got in answers.values() for status, _ in got)
    assert set(statuses) <= {200, 201}, statuses
    for oid, ((_, first), (_, retry)) in answers.items():
        assert first == retry, oid  # the retry replays the first answer
    figures = ok(api.get("/v1/availability/HOT", params={"location": "WEB"}))
    assert (figures["on_hand"], figures["allocated"], figures["backordered"]) == (
        STOCK, STOCK, ORDERS - STOCK)
    held = sum(int(first["lines"][0]["allocated"]) for (_, first), _ in answers.values())  # type: ignore[index]
    assert held == STOCK
    store = Store(url, Clock())
    try:
        assert check_store(store)[1] == []
    finally:
        store.dispose()


@pytest.mark.postgres
def test_two_worker_processes_sell_a_hot_sku_without_overselling(
        tmp_path: Path, postgres_template: str) -> None:
    for url in make_postgres_url(postgres_template):
        server = launch(url, tmp_path, workers=2)
        try:
            assert len(worker_processes(server.process.pid)) == 2
            seed(server.client)
            answers = sell([server], "HOT")
            assert_sold_exactly_once(server.client, url, answers)
        finally:
            server.stop()


@pytest.mark.postgres
def test_two_servers_on_one_database_sell_a_hot_sku_exactly_once(
        tmp_path: Path, postgres_template: str) -> None:
    """Each retry goes to the other server: its answer is the first one's."""
    for url in make_postgres_url(postgres_template):
        first = launch(url, tmp_path)
        second = launch(url, tmp_path)
        try:
            seed(first.client)
            answers = sell([first, second], "HOT")
            assert_sold_exactly_once(second.client, url, answers)
        finally:
            first.stop()
            second.stop()
