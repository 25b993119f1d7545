"""The hot path touches O(1) rows: placing an order costs a fixed number of
SQL statements, whatever the length of the position's queue."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from tests.integration.helpers import seed

from earmark.service import orders
from earmark.service.check import check_store
from earmark.service.uow import Store

STATEMENTS_PER_ORDER_MAX = 0
"""None: a batch checks its orders for replays in one query, takes arrival
numbers a block at a time, and writes the order, line and peg rows of all
its orders together, a statement per table."""
STATEMENTS_PER_BATCH_MAX = 15


@contextmanager
def counting(store: Store) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


def place_batch(store: Store, prefix: str, count: int) -> None:
    commands = [orders.PlaceOrder(f"{prefix}-{i}", "acme", [orders.LineIn("1", "COAT", 1, "WEB")])
                for i in range(count)]
    with store.unit_of_work() as uow:
        uow.defer_commit = True
        uow.expect_orders(cmd.id for cmd in commands)  # as the writer does for a batch
        uow.expect_positions([("COAT", "WEB")])
        uow.prefetch()
        for cmd in commands:
            assert orders.place_order(uow, cmd).ok
        uow.commit_now()


def statements_for(store: Store, prefix: str, count: int) -> int:
    place_batch(store, f"{prefix}-warm", 1)  # the position is now kept by this store
    with counting(store) as statements:
        place_batch(store, prefix, count)
    return len(statements)


def test_placing_an_order_costs_a_fixed_number_of_statements(store: Store) -> None:
    seed(store, on_hand=1000)
    short_queue = statements_for(store, "A", 20)
    place_batch(store, "filler", 400)  # a long list of lines on the position
    long_queue = statements_for(store, "B", 20)
    assert long_queue == short_queue
    assert short_queue <= 20 * STATEMENTS_PER_ORDER_MAX + STATEMENTS_PER_BATCH_MAX


def test_backorders_cost_no_more_as_the_queue_grows(store: Store) -> None:
    seed(store, on_hand=0)
    short_queue = statements_for(store, "A", 20)
    place_batch(store, "filler", 400)  # 400 lines waiting in the queue
    long_queue = statements_for(store, "B", 20)
    assert long_queue == short_queue
    assert short_queue <= 20 * STATEMENTS_PER_ORDER_MAX + STATEMENTS_PER_BATCH_MAX


def test_a_batch_reads_its_orders_replays_in_one_query(store: Store) -> None:
    seed(store, on_hand=1000)
    place_batch(store, "warm", 1)
    with counting(store) as statements:
        place_batch(store, "C", 20)
    replay_reads = [s for s in statements if s.lstrip().upper().startswith("SELECT ORDERS.ID")]
    assert len(replay_reads) == 1


def test_a_replay_within_a_batch_answers_with_the_order_placed_before_it(store: Store) -> None:
    seed(store, on_hand=1000)
    cmd = orders.PlaceOrder("TWICE", "acme", [orders.LineIn("1", "COAT", 2, "WEB")])
    with store.unit_of_work() as uow:
        uow.defer_commit = True
        uow.expect_orders(["TWICE", "TWICE"])
        first = orders.place_order(uow, cmd)
        uow.sync()  # the staged order is written: the replay must find it, not the batch's first read
        second = orders.place_order(uow, cmd)
        uow.commit_now()
    assert first.ok and second.ok
    stamps = ("created_at", "updated_at")
    assert {k: v for k, v in second.value.items() if k not in stamps} == \
        {k: v for k, v in first.value.items() if k not in stamps}
    with store.unit_of_work(write=False) as uow:
        lines = uow.raw.execute(text("SELECT COUNT(*) FROM order_lines WHERE order_id = 'TWICE'")).scalar()
    assert lines == 1


ROUND_TRIPS_PER_BATCH_MAX = 3
"""A batch of orders on warm positions: the first statement with its BEGIN;
the locks, the replay check and a block of arrival numbers together; every
write with the COMMIT (PostgreSQL pipelines)."""


@contextmanager
def counting_round_trips(store: Store) -> Iterator[list[object]]:
    """One entry per round trip: a pipelined exchange's id once, or a statement of its own."""
    from earmark.store.db import EXCHANGE

    trips: list[object] = []

    def count(conn: Connection, cursor: object, statement: str, *args: object) -> None:
        exchange = conn.info.get(EXCHANGE)
        if exchange is None or exchange not in trips:
            trips.append(exchange if exchange is not None else statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield trips
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


@pytest.mark.postgres
def test_a_batch_of_orders_costs_at_most_three_round_trips(postgres_store: Store) -> None:
    store = postgres_store
    seed(store, on_hand=1000)
    place_batch(store, "warm", 1)  # the position is now kept by this store
    with counting_round_trips(store) as trips:
        place_batch(store, "hot", 16)
    assert 2 <= len(trips) <= ROUND_TRIPS_PER_BATCH_MAX, trips


@pytest.mark.postgres
def test_a_batch_over_cold_positions_loads_them_in_the_same_round_trips(
    postgres_store: Store,
) -> None:
    """Sixteen orders on sixteen positions that the store does not keep: they
    are locked and loaded together, still three round trips."""
    store = postgres_store
    skus = [f"SKU-{n:02d}" for n in range(16)]
    seed(store, sku=skus[0], on_hand=10)
    for sku in skus[1:]:
        seed(store, sku=sku, on_hand=10, accounts={})

    def batch(prefix: str) -> None:
        commands = [orders.PlaceOrder(f"{prefix}-{sku}", "acme",
                                      [orders.LineIn("1", sku, 1, "WEB")]) for sku in skus]
        with store.unit_of_work() as uow:
            uow.defer_commit = True
            uow.expect_orders(cmd.id for cmd in commands)
            uow.expect_positions((sku, "WEB") for sku in skus)
            uow.prefetch()
            for cmd in commands:
                assert orders.place_order(uow, cmd).ok
            uow.commit_now()

    batch("warm")  # master data is now shared; the positions are kept
    store.forget_kept_positions()
    with counting_round_trips(store) as trips:
        batch("cold")
    assert 2 <= len(trips) <= ROUND_TRIPS_PER_BATCH_MAX, trips
    assert check_store(store)[1] == []
