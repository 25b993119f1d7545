"""What the fault tests share: a real ``earmark serve`` they can kill and
start again on the same port, clients that place orders with an
``Idempotency-Key`` and retry until they hear an answer, and the counts the
tests compare afterwards."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

TODAY = "2026-01-05"
STARTUP_SECONDS = 60
RETRY_PAUSE_S = 0.2
"""How long a client waits after a cut connection before it tries again."""
CLIENTS = 32
SKUS = ["HOT-1", "HOT-2", "HOT-3"]
LOCATION = "WH"
ACCOUNT = "shop"
ON_HAND = 400
ANSWER_BY_S = 60
"""How long a client keeps retrying one order before the test fails."""
ORDERS_PER_STRETCH = 40
"""Orders a server acknowledges between two faults: enough that each fault
cuts a busy server, with requests in flight, rather than a fixed pause."""
STRETCH_DEADLINE_S = 30.0


class ServerProcess:
    """``python -m earmark.api`` on a fixed port, so clients find it again after a restart."""

    def __init__(self, database_url: str, port: int, log_dir: Path,
                 env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_dir = log_dir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("EARMARK_")}
        self.env.update({"EARMARK_DATABASE_URL": database_url, "EARMARK_TODAY": TODAY})
        self.env.update(env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.logs: list[Path] = []

    def start(self) -> None:
        self.starts += 1
        log = self.log_dir / f"server-{self.port}-{self.starts}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "earmark.api", "--host", "127.0.0.1",
                 "--port", str(self.port), "--workers", "1"],
                env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_SECONDS
        with httpx.Client(base_url=self.url, timeout=5) as probe:
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(f"the server exited with {self.process.returncode}:\n"
                                         f"{log.read_text()}")
                try:
                    if probe.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"the server did not answer in {STARTUP_SECONDS}s:\n"
                                         f"{log.read_text()}")
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, whatever was in flight is cut."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        assert self.process.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def logged(self) -> str:
        return "".join(log.read_text(errors="replace") for log in self.logs)


@dataclass
class Tally:
    """What the clients did, counted under one lock."""

    requests: int = 0
    retried: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    replayed: int = 0
    unavailable_without_retry_after: int = 0
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, status: int | None, retry: bool, headers: httpx.Headers | None = None) -> None:
        with self.lock:
            self.requests += 1
            self.retried += retry
            if status is None:
                self.transport_errors += 1
            else:
                self.statuses[status] += 1
                if status == 503 and headers is not None and "retry-after" not in headers:
                    self.unavailable_without_retry_after += 1

    def summary(self) -> str:
        return (f"{self.requests} requests, {self.retried} retried, "
                f"{self.transport_errors} cut off, {self.replayed} answered from the key's record, "
                f"statuses {dict(sorted(self.statuses.items()))}, "
                f"{len(self.acknowledged)} orders acknowledged, {len(self.refused)} refused")


def place_until_answered(client: httpx.Client, tally: Tally, order: dict[str, Any],
                         stop_by: float) -> None:
    """POST the order with its Idempotency-Key until the server answers it
    (2xx, or a refusal by a rule); a cut connection or a 503 is retried with
    the same key and body, as a careful client would."""
    key = {"Idempotency-Key": f"key-{order['id']}"}
    retry = False
    while time.monotonic() < stop_by:
        try:
            response = client.post("/v1/orders", json=order, headers=key)
        except httpx.TransportError:
            tally.count(None, retry)
            retry = True
            time.sleep(RETRY_PAUSE_S)
            continue
        tally.count(response.status_code, retry, response.headers)
        if response.status_code == 503:
            retry = True
            time.sleep(min(float(response.headers.get("retry-after", "1")), 1.0) / 4)
            continue
        with tally.lock:
            tally.replayed += response.headers.get("idempotent-replayed") == "true"
            if response.status_code in (200, 201):
                tally.acknowledged[order["id"]] = response.json()
            else:
                tally.refused[order["id"]] = response.status_code
        return
    raise AssertionError(f"order {order['id']} got no answer in time; {tally.summary()}")


def run_clients(url: str, tally: Tally, *, clients: int, skus: list[str], location: str,
                account: str, stop: threading.Event, answer_by_s: float) -> list[BaseException]:
    """``clients`` threads placing orders of 1–3 units on random skus until
    ``stop`` is set; each finishes the order it is placing. Returns what they raised."""
    errors: list[BaseException] = []

    def client_loop(number: int) -> None:
        chooser = random.Random(number)
        with httpx.Client(base_url=url, timeout=30) as client:
            n = 0
            while not stop.is_set():
                n += 1
                order = {"id": f"SO-{number}-{n}", "account": account, "lines": [{
                    "sku": chooser.choice(skus), "location": location,
                    "quantity": chooser.randint(1, 3)}]}
                try:
                    place_until_answered(client, tally, order, time.monotonic() + answer_by_s)
                except BaseException as error:  # noqa: BLE001 - reported by the test
                    errors.append(error)
                    return

    threads = [threading.Thread(target=client_loop, args=(n,), daemon=True)
               for n in range(clients)]
    for thread in threads:
        thread.start()
    stop.wait()
    for thread in threads:
        thread.join(answer_by_s + 30)
    return errors


@contextmanager
def under_load(server: ServerProcess, tally: Tally) -> Iterator[None]:
    """The shop (``SKUS`` at ``LOCATION``, ``ON_HAND`` each) seeded on ``server``,
    then ``CLIENTS`` clients placing orders against it for the block; on
    leaving it they stop, each finishing the order it is placing, and what
    any of them raised fails the test."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        seed(client, SKUS, LOCATION, ACCOUNT, ON_HAND)
    stop = threading.Event()
    outcome: list[list[BaseException]] = []
    load = threading.Thread(target=lambda: outcome.append(run_clients(
        server.url, tally, clients=CLIENTS, skus=SKUS, location=LOCATION, account=ACCOUNT,
        stop=stop, answer_by_s=ANSWER_BY_S)))
    load.start()
    try:
        yield
    finally:
        stop.set()
        load.join(ANSWER_BY_S + 60)
    assert outcome == [[]], f"clients failed: {outcome}; {tally.summary()}"


def serve_a_stretch(tally: Tally) -> int:
    """Wait (polling, no fixed pause) until ``ORDERS_PER_STRETCH`` more orders
    than now are acknowledged, however long a busy machine takes to get there
    (up to ``STRETCH_DEADLINE_S``); the count then."""
    wanted = len(tally.acknowledged) + ORDERS_PER_STRETCH
    deadline = time.monotonic() + STRETCH_DEADLINE_S
    while len(tally.acknowledged) < wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(tally.acknowledged)


def check_after_load(server: ServerProcess, tally: Tally, database_url: str) -> str:
    """What both load tests check once the clients stopped: every acknowledged
    order exists once and nothing is oversold (:func:`compare`), ``earmark
    check`` passes, and the server logged no unhandled error. The report."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        compared = compare(client, tally, SKUS, LOCATION, ON_HAND)
    checked = earmark_check(database_url)
    assert "unhandled error" not in server.logged(), server.logged()[-3000:]
    return f"{tally.summary()}; compared: {compared}; earmark check: {checked}"


def seed(client: httpx.Client, skus: list[str], location: str, account: str, on_hand: int) -> None:
    def ok(response: httpx.Response) -> None:
        assert response.status_code in (200, 201), response.text

    ok(client.put(f"/v1/locations/{location}", json={"name": "Warehouse"}))
    ok(client.put(f"/v1/accounts/{account}", json={"name": "Shop", "priority": 100}))
    for sku in skus:
        ok(client.put(f"/v1/items/{sku}", json={"name": f"Item {sku}"}))
        ok(client.post("/v1/adjustments", json={"sku": sku, "location": location,
                                                "quantity": on_hand, "reason": "initial"}))


def all_orders(client: httpx.Client) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 1000}
    while True:
        response = client.get("/v1/orders", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


def events_of_type(client: httpx.Client, kind: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"after": 0, "limit": 1000, "type": kind}
    while True:
        response = client.get("/v1/events", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


def earmark_check(database_url: str) -> str:
    """``earmark check`` on the database, as an operator would run it; its output."""
    done = subprocess.run(
        [sys.executable, "-c", "from earmark.cli.main import run; run()", "check",
         "--database", database_url],
        capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("EARMARK_")})
    assert done.returncode == 0, f"earmark check failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout.strip()


def compare(client: httpx.Client, tally: Tally, skus: list[str], location: str,
            on_hand: int) -> str:
    """Every acknowledged order exists once, as acknowledged; nothing else was
    placed; no unit is sold twice. Returns the counts compared."""
    stored = {order["id"]: order for order in all_orders(client)}
    acknowledged = tally.acknowledged
    assert set(stored) == set(acknowledged), (
        f"stored but never acknowledged: {sorted(set(stored) - set(acknowledged))[:10]}; "
        f"acknowledged but missing: {sorted(set(acknowledged) - set(stored))[:10]}; "
        f"{tally.summary()}")
    # Each order's units were allocated or backordered once: its events add up to it.
    evented: Counter[str] = Counter()
    for kind in ("order.allocated", "order.backordered"):
        for event in events_of_type(client, kind):
            evented[event["data"]["order"]] += event["data"]["quantity"]
    doubled = {order_id: (evented[order_id], order["lines"][0]["quantity"])
               for order_id, order in acknowledged.items()
               if evented[order_id] != order["lines"][0]["quantity"]}
    assert not doubled, f"orders whose events do not add up once: {doubled}; {tally.summary()}"
    ordered: Counter[str] = Counter()
    for order in acknowledged.values():
        for line in order["lines"]:
            ordered[line["sku"]] += line["quantity"]
    lines = []
    for sku in skus:
        response = client.get(f"/v1/availability/{sku}", params={"location": location})
        assert response.status_code == 200, response.text
        position = response.json()
        summary = (f"{sku}: ordered {ordered[sku]}, on_hand {position['on_hand']}, "
                   f"allocated {position['allocated']}, backordered {position['backordered']}")
        lines.append(summary)
        assert position["on_hand"] == on_hand, summary
        assert position["allocated"] <= position["on_hand"], f"oversold: {summary}"
        assert position["allocated"] + position["backordered"] == ordered[sku], summary
        # Backorders only once the shelf is bare (nothing is kept back here).
        assert position["backordered"] == 0 or position["allocated"] == on_hand, summary
    return (f"{len(stored)} orders stored = {len(acknowledged)} acknowledged, "
            f"{sum(evented.values())} units in their events; " + "; ".join(lines))
