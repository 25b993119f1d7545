"""Reading a line's ``queue_position`` never counts the queue.

The place comes from the position's queue index (a sorted list, a binary
search): the statements that read an order or a backorder page are the same
behind 10 backorders as behind 1,000, and none of them is a COUNT.
"""

from __future__ import annotations

from tests.integration.helpers import run, seed
from tests.integration.test_statement_count import counting

from earmark.service import master, orders
from earmark.service.queries import get_order, list_backorders
from earmark.service.uow import Store


def backorder(store: Store, prefix: str, count: int, account: str = "acme") -> None:
    commands = [orders.PlaceOrder(f"{prefix}-{i}", account, [orders.LineIn("1", "COAT", 1, "WEB")])
                for i in range(count)]
    with store.unit_of_work() as uow:
        uow.defer_commit = True
        uow.expect_orders(cmd.id for cmd in commands)
        for cmd in commands:
            assert orders.place_order(uow, cmd).ok
        uow.commit_now()


def read_order(store: Store, order_id: str) -> tuple[int | None, list[str]]:
    with counting(store) as statements, store.unit_of_work(write=False) as uow:
        order = get_order(uow.tx, order_id, uow.today)
    assert order is not None
    return order["lines"][0]["queue_position"], statements


def test_reading_a_queue_position_runs_no_count(store: Store) -> None:
    seed(store)
    backorder(store, "A", 10)
    place, statements = read_order(store, "A-6")
    assert place == 7
    assert not [s for s in statements if "count(" in s.lower()], statements


def test_reading_a_queue_position_costs_the_same_behind_a_long_queue(store: Store) -> None:
    seed(store)
    backorder(store, "A", 10)
    read_order(store, "A-9")  # the first read may load the position
    _, short_queue = read_order(store, "A-9")
    backorder(store, "B", 1000)
    read_order(store, "B-999")
    place, long_queue = read_order(store, "B-999")
    assert place == 1010
    assert len(long_queue) == len(short_queue)


def test_a_queue_position_follows_a_change_of_rank_and_another_writer(store: Store) -> None:
    seed(store, accounts={"acme": 100, "key": 100})
    backorder(store, "A", 5)
    backorder(store, "K", 2, account="key")
    assert read_order(store, "K-1")[0] == 7
    # The key account is promoted: its lines go first (the rank epoch moves,
    # so the kept position must not answer).
    assert run(store, master.upsert_account, master.UpsertAccount("key", "Key", 0)).ok
    assert read_order(store, "K-1")[0] == 2
    # Another process cancels the first line behind this store's back: the
    # stored version moves and the kept position is not trusted.
    other = Store(store.url, store.clock)
    try:
        with other.unit_of_work() as uow:
            assert orders.cancel_order(uow, orders.CancelOrder("K-0")).ok
    finally:
        other.dispose()
    assert read_order(store, "K-1")[0] == 1


def test_a_backorder_page_reads_places_without_counting(store: Store) -> None:
    seed(store)
    backorder(store, "A", 30)
    with counting(store) as statements, store.unit_of_work(write=False) as uow:
        page = list_backorders(uow.tx, uow.today, "COAT", "WEB", None, None, 5)
    assert [row["queue_position"] for row in page["items"]] == [1, 2, 3, 4, 5]
    assert not [s for s in statements if "count(" in s.lower()], statements
