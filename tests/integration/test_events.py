"""Which events each change records, with the right old and new values,
once per change, and none for the calendar alone (DESIGN.md rule 10)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.integration.helpers import run, seed

from earmark.domain.outcomes import Outcome
from earmark.service import commitments as cm
from earmark.service import orders, supply
from earmark.service.queries import list_events
from earmark.service.uow import Store


def events_since(store: Store, after: int) -> list[tuple[str, dict[str, Any]]]:
    with store.unit_of_work(write=False) as uow:
        return [(e["type"], e["data"]) for e in list_events(uow.tx, after, None, 1000)["items"]]


def last_id(store: Store) -> int:
    with store.unit_of_work(write=False) as uow:
        items = list_events(uow.tx, 0, None, 1000)["items"]
    return items[-1]["id"] if items else 0


def order(oid: str, account: str, quantity: int, requested: date | None = None,
          policy: str | None = None) -> orders.PlaceOrder:
    return orders.PlaceOrder(oid, account, [orders.LineIn("1", "COAT", quantity, "WEB", requested,
                                                          policy)])


def test_placing_an_order_records_allocated_and_backordered(store: Store) -> None:
    seed(store, on_hand=2, lead_time_days=10)
    run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 5, date(2026, 2, 1)))
    mark = last_id(store)
    run(store, orders.place_order, order("SO-1", "acme", 4))
    assert events_since(store, mark) == [
        ("order.allocated", {"order": "SO-1", "line": "1", "sku": "COAT", "location": "WEB",
                             "quantity": 2}),
        ("order.backordered", {"order": "SO-1", "line": "1", "sku": "COAT", "location": "WEB",
                               "quantity": 2, "promised_date": "2026-02-01",
                               "customer_date": "2026-02-01", "confirmed": True}),
    ]


def test_delayed_receipt_moves_the_promise_of_pegged_lines(store: Store) -> None:
    seed(store, on_hand=0)
    run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 5, date(2026, 2, 1)))
    run(store, orders.place_order, order("SO-1", "acme", 3))
    mark = last_id(store)
    run(store, supply.patch_receipt, supply.PatchReceipt("PO-1", expected_date=date(2026, 2, 20)))
    changes = [e for e in events_since(store, mark) if e[0] == "order.promise_changed"]
    assert changes == [("order.promise_changed", {
        "order": "SO-1", "line": "1", "sku": "COAT", "location": "WEB",
        "old_date": "2026-02-01", "new_date": "2026-02-20", "cause": "receipt_delayed",
        "old_customer_date": "2026-02-01", "new_customer_date": "2026-02-20",
        "confirmed": True})]


def test_the_calendar_alone_records_no_event(store: Store) -> None:
    seed(store, on_hand=0, lead_time_days=14)
    run(store, orders.place_order, order("SO-1", "acme", 3))  # waits: today + 14 days
    mark = last_id(store)
    assert run(store, cm.advance_clock, cm.AdvanceClock(date(2026, 1, 20))).ok
    assert events_since(store, mark) == []


def test_cancel_frees_units_for_the_next_line_in_the_queue(store: Store) -> None:
    seed(store, on_hand=3, accounts={"acme": 100, "bob": 100}, lead_time_days=30)
    run(store, orders.place_order, order("SO-1", "acme", 3))
    run(store, orders.place_order, order("SO-2", "bob", 2))
    mark = last_id(store)
    run(store, orders.cancel_order, orders.CancelOrder("SO-1", [orders.LineQuantity("1", 2)]))
    assert events_since(store, mark) == [
        ("order.cancelled", {"order": "SO-1", "line": "1", "quantity": 2}),
        ("order.allocated", {"order": "SO-2", "line": "1", "sku": "COAT", "location": "WEB",
                             "quantity": 2, "cause": "order_cancelled"}),
        ("order.promise_changed", {"order": "SO-2", "line": "1", "sku": "COAT", "location": "WEB",
                                   "old_date": "2026-02-04", "new_date": "2026-01-05",
                                   "cause": "order_cancelled", "old_customer_date": "2026-02-04",
                                   "new_customer_date": "2026-01-05", "confirmed": True}),
    ]


def test_damaged_stock_takes_held_units_from_the_lowest_rank_first(store: Store) -> None:
    seed(store, on_hand=4, accounts={"key": 10, "acme": 100}, lead_time_days=7)
    run(store, orders.place_order, order("SO-1", "acme", 2))
    run(store, orders.place_order, order("SO-2", "key", 2))
    mark = last_id(store)
    run(store, supply.adjust, supply.Adjust("COAT", "WEB", -1, "damage"))
    recorded = events_since(store, mark)
    assert recorded[0][0] == "stock.adjusted"
    assert recorded[1:] == [
        ("order.backordered", {"order": "SO-1", "line": "1", "sku": "COAT", "location": "WEB",
                               "quantity": 1, "promised_date": "2026-01-12", "cause": "stock_damage",
                               "customer_date": "2026-01-12", "confirmed": False}),
        ("order.promise_changed", {"order": "SO-1", "line": "1", "sku": "COAT", "location": "WEB",
                                   "old_date": "2026-01-05", "new_date": "2026-01-12",
                                   "cause": "stock_damage", "old_customer_date": "2026-01-05",
                                   "new_customer_date": "2026-01-12", "confirmed": False}),
    ]


def test_refused_strict_commitment_changes_nothing(store: Store) -> None:
    seed(store, on_hand=5)
    mark = last_id(store)
    result = run(store, cm.create_commitment, cm.CreateCommitment(
        "C-1", "acme", "COAT", "WEB", 8, date(2026, 2, 1)))
    assert result.outcome is Outcome.insufficient
    assert result.extra == {"shortfall": 3, "earliest_date": None}
    assert events_since(store, mark) == []


def test_order_consumes_its_accounts_commitment(store: Store) -> None:
    seed(store, on_hand=10, accounts={"acme": 100, "bob": 100})
    assert run(store, cm.create_commitment, cm.CreateCommitment(
        "C-1", "acme", "COAT", "WEB", 6, date(2026, 1, 5))).ok
    mark = last_id(store)
    placed = run(store, orders.place_order, order("SO-1", "acme", 4))
    assert placed.value["lines"][0]["allocated"] == 4
    assert events_since(store, mark)[0] == (
        "commitment.consumed",
        {"commitment": "C-1", "order": "SO-1", "line": "1", "quantity": 4, "remaining": 2})
    # The other four units are free; bob cannot take acme's remaining two.
    other = run(store, orders.place_order, order("SO-2", "bob", 6))
    assert other.value["lines"][0]["allocated"] == 4


def test_expiry_releases_what_remains_and_serves_the_queue(store: Store) -> None:
    seed(store, on_hand=5, accounts={"acme": 100, "bob": 100}, lead_time_days=30)
    assert run(store, cm.create_commitment, cm.CreateCommitment(
        "C-1", "acme", "COAT", "WEB", 5, date(2026, 1, 5), date(2026, 1, 10))).ok
    run(store, orders.place_order, order("SO-2", "bob", 3))
    mark = last_id(store)
    assert run(store, cm.advance_clock, cm.AdvanceClock(date(2026, 1, 10))).ok
    recorded = events_since(store, mark)
    assert recorded[0] == ("commitment.expired", {"commitment": "C-1", "quantity": 5})
    assert ("order.allocated", {"order": "SO-2", "line": "1", "sku": "COAT", "location": "WEB",
                                "quantity": 3, "cause": "commitment_expired"}) in recorded
