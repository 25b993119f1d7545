"""Master data read by one unit of work serves the next ones while the
master epoch stands still, and never after a handler changed it."""

from __future__ import annotations

from tests.integration.helpers import run, seed
from tests.integration.test_statement_count import counting, place_batch

from earmark.service import master, orders
from earmark.service.uow import Store


def test_a_batch_reads_no_master_data_that_an_earlier_batch_read(store: Store) -> None:
    seed(store, on_hand=1000)
    place_batch(store, "warm", 1)
    with counting(store) as statements:
        place_batch(store, "B", 5)
    master_reads = [s for s in statements
                    if any(f"FROM {table}" in s for table in ("items", "locations", "accounts"))]
    assert master_reads == []


def test_a_changed_item_is_read_afresh_by_the_next_unit_of_work(store: Store) -> None:
    seed(store, on_hand=10)
    place_batch(store, "warm", 1)  # the item is now shared, backorders allowed
    assert run(store, master.upsert_item, master.UpsertItem("COAT", "Coat", backorders="deny")).ok
    placed = run(store, orders.place_order, orders.PlaceOrder(
        "TOO-MANY", "acme", [orders.LineIn("1", "COAT", 50, "WEB")]))
    # 'deny' is seen (the epoch moved with the change): what is not on hand is cancelled.
    assert placed.ok and placed.value["lines"][0]["cancelled"] == 41


def test_a_new_priority_and_a_new_location_are_seen_at_once(store: Store) -> None:
    seed(store, on_hand=10)
    place_batch(store, "warm", 1)
    assert run(store, master.upsert_account, master.UpsertAccount("acme", "Acme", 5)).ok
    with store.unit_of_work() as uow:
        assert uow.master.priority("acme") == 5
    assert run(store, master.upsert_location, master.UpsertLocation("SHOP", "Shop")).ok
    with store.unit_of_work() as uow:
        assert uow.master.location_exists("SHOP")


def test_a_refused_change_leaves_the_shared_data_good(store: Store) -> None:
    seed(store, on_hand=10)
    place_batch(store, "warm", 1)
    with store.unit_of_work() as uow:
        uow.defer_commit = True  # as in a batch: the handler's commit() only writes
        assert master.upsert_item(uow, master.UpsertItem("COAT", "Coat", backorders="deny")).ok
        uow.rollback()  # the change and its epoch move are undone together
    placed = run(store, orders.place_order, orders.PlaceOrder(
        "STILL-ALLOWED", "acme", [orders.LineIn("1", "COAT", 50, "WEB")]))
    assert placed.ok and placed.value["lines"][0]["cancelled"] == 0
