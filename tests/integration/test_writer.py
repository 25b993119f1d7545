"""The batching writer: a batch's outcome equals serial application in queue order."""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from tests.conftest import TODAY
from tests.integration.helpers import run, seed

from earmark.service import commitments as cm
from earmark.service import orders, supply
from earmark.service.check import check_store
from earmark.service.clock import Clock
from earmark.service.uow import Store, UnitOfWork
from earmark.service.writer import Writer
from earmark.store import tables as t

TIMESTAMPS = {"created_at", "updated_at", "at"}


def scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in TIMESTAMPS}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def commands(seed_: int, count: int) -> list[tuple[Any, Any]]:
    rng = random.Random(seed_)
    steps: list[tuple[Any, Any]] = []
    for n in range(count):
        sku = rng.choice(["COAT", "HAT"])
        roll = rng.random()
        if roll < 0.12:
            steps.append((supply.adjust, supply.Adjust(sku, "WEB", rng.randint(-5, 12), "count")))
        elif roll < 0.25:
            steps.append(
                (
                    supply.create_receipt,
                    supply.CreateReceipt(
                        f"PO-{n}", sku, "WEB", rng.randint(1, 15), TODAY + timedelta(days=rng.randint(0, 40))
                    ),
                )
            )
        elif roll < 0.35:
            steps.append(
                (
                    cm.create_commitment,
                    cm.CreateCommitment(
                        f"C-{n}",
                        rng.choice(["acme", "key"]),
                        sku,
                        "WEB",
                        rng.randint(1, 8),
                        TODAY + timedelta(days=rng.randint(0, 30)),
                        None,
                        "contract",
                        rng.choice(["strict", "partial"]),
                    ),
                )
            )
        elif roll < 0.75:
            steps.append(
                (
                    orders.place_order,
                    orders.PlaceOrder(
                        f"SO-{n}",
                        rng.choice(["acme", "key", "bob"]),
                        [
                            orders.LineIn(
                                "1",
                                sku,
                                rng.randint(1, 6),
                                "WEB",
                                None,
                                rng.choice([None, None, "deny", "reject"]),
                            )
                        ],
                    ),
                )
            )
        elif roll < 0.85:
            steps.append(
                (
                    orders.cancel_order,
                    orders.CancelOrder(
                        f"SO-{rng.randrange(max(n, 1))}", [orders.LineQuantity("1", rng.randint(0, 3))]
                    ),
                )
            )
        elif roll < 0.92:
            steps.append(
                (
                    orders.ship_order,
                    orders.ShipOrder(
                        f"SO-{rng.randrange(max(n, 1))}", [orders.LineQuantity("1", rng.randint(1, 2))]
                    ),
                )
            )
        else:
            steps.append(
                (supply.receive_receipt, supply.ReceiveReceipt(f"PO-{rng.randrange(max(n, 1))}", None))
            )
    return steps


def snapshot(store: Store) -> dict[str, Any]:
    with store.unit_of_work(write=False) as uow:
        tx = uow.tx
        return {
            "pegs": sorted(tuple(r) for r in tx.execute(select(t.pegs)).all()),
            # Arrival numbers may have gaps (taken a block at a time): compare their order.
            "lines": sorted(
                tuple(v for k, v in r._mapping.items() if k != "seq")
                for r in tx.execute(select(t.order_lines)).all()
            ),
            "arrivals": [r.order_id for r in tx.execute(
                select(t.order_lines.c.order_id).order_by(t.order_lines.c.seq, t.order_lines.c.idx))],
            "positions": sorted(
                tuple(r) for r in tx.execute(
                    select(t.positions.c.sku, t.positions.c.location, t.positions.c.on_hand)
                ).all()
            ),
            "events": [(r.type, r.data) for r in tx.execute(select(t.events).order_by(t.events.c.id))],
            "commitments": sorted(
                (r.id, r.consumed, r.released, r.status) for r in tx.execute(select(t.commitments))
            ),
        }


def fresh(url: str) -> Store:
    store = Store(url, Clock(frozen=TODAY))
    store.upgrade()
    for sku in ("COAT", "HAT"):
        seed(store, sku=sku, on_hand=10, accounts={"acme": 100, "key": 10, "bob": 100}, lead_time_days=9)
    return store


def test_a_batch_equals_serial_application_in_queue_order(tmp_path: Any, database_url: str) -> None:
    steps = commands(7, 160)
    serial_store = fresh(f"sqlite:///{tmp_path}/serial.db")
    serial = [scrub(run(serial_store, h, c).__dict__) for h, c in steps]

    batched_store = fresh(database_url)
    writer = Writer(batched_store, wait_ms=20)
    # Queue everything before the first batch runs, so batches are large.
    futures = [writer.enqueue(lambda uow, h=h, c=c: h(uow, c)) for h, c in steps]
    batched = [scrub(f.result().__dict__) for f in futures]
    writer.stop()

    assert writer.batches < len(steps)  # it did batch
    assert batched == serial
    assert snapshot(batched_store) == snapshot(serial_store)
    assert check_store(batched_store)[1] == []
    serial_store.dispose()
    batched_store.dispose()


def test_a_faulty_job_fails_alone(store: Store) -> None:
    seed(store, on_hand=5)
    writer = Writer(store, wait_ms=20)

    def faulty(uow: UnitOfWork) -> None:
        raise RuntimeError("a bug")

    good = [orders.PlaceOrder(f"SO-{i}", "acme", [orders.LineIn("1", "COAT", 1, "WEB")]) for i in range(3)]
    futures = [
        writer.enqueue(lambda uow, c=good[0]: orders.place_order(uow, c)),
        writer.enqueue(faulty),
        *[writer.enqueue(lambda uow, c=c: orders.place_order(uow, c)) for c in good[1:]],
    ]
    assert futures[0].result().ok
    assert isinstance(futures[1].exception(), RuntimeError)
    assert all(f.result().ok for f in futures[2:])
    writer.stop()
    assert check_store(store)[1] == []


def test_concurrent_callers_share_batches(store: Store) -> None:
    seed(store, on_hand=30)
    writer = Writer(store)
    results: list[Any] = []

    def caller(n: int) -> None:
        for i in range(10):
            cmd = orders.PlaceOrder(f"T{n}-{i}", "acme", [orders.LineIn("1", "COAT", 1, "WEB")])
            results.append(writer.submit(lambda uow, c=cmd: orders.place_order(uow, c)))

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    writer.stop()
    assert len(results) == 80 and all(r.ok for r in results)
    assert sum(r.value["lines"][0]["allocated"] for r in results) == 30
    assert check_store(store)[1] == []
