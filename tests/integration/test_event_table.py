"""Which events each change records — a table, one row per rule of DESIGN.md
that moves a promise: exactly these events, with these old and new values,
once per change (the whole list is compared), and none for the calendar
alone.

Every row starts from the same position (COAT at WEB, today 2026-01-05,
lead time 30 days so a waiting unit is promised 2026-02-04), runs its setup,
then its change, and compares the events the change recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from tests.integration.helpers import run, seed

from earmark.service import commitments as cm
from earmark.service import orders, supply
from earmark.service.queries import list_events
from earmark.service.uow import Store

Step = tuple[Callable[..., Any], Any]
Event = tuple[str, dict[str, Any]]

WAITING = "2026-02-04"  # today + 30 days: the estimate of a waiting unit
TODAY = "2026-01-05"
WHERE = {"sku": "COAT", "location": "WEB"}


def order(oid: str, account: str, quantity: int, requested: date | None = None) -> Step:
    return orders.place_order, orders.PlaceOrder(
        oid, account, [orders.LineIn("1", "COAT", quantity, "WEB", requested)])


def receipt(rid: str, quantity: int, expected: str, source: str = "purchase") -> Step:
    return supply.create_receipt, supply.CreateReceipt(
        rid, "COAT", "WEB", quantity, date.fromisoformat(expected), source)


def patch(rid: str, expected: str | None = None, quantity: int | None = None) -> Step:
    return supply.patch_receipt, supply.PatchReceipt(
        rid, date.fromisoformat(expected) if expected else None, quantity)


def receive(rid: str, quantity: int | None = None) -> Step:
    return supply.receive_receipt, supply.ReceiveReceipt(rid, quantity)


def adjust(quantity: int, reason: str, note: str | None = None) -> Step:
    return supply.adjust, supply.Adjust("COAT", "WEB", quantity, reason, note)


def commit(cid: str, account: str, quantity: int, need: str, expires: str | None = None,
           mode: str = "strict") -> Step:
    return cm.create_commitment, cm.CreateCommitment(
        cid, account, "COAT", "WEB", quantity, date.fromisoformat(need),
        date.fromisoformat(expires) if expires else None, "contract", mode)


def confirmed(day: str | None) -> bool:
    """In this table a line's date is an estimate exactly when it is WAITING (or none)."""
    return day not in (None, WAITING)


def moved(oid: str, old: str | None, new: str | None, cause: str) -> Event:
    return ("order.promise_changed", {"order": oid, "line": "1", **WHERE,
                                      "old_date": old, "new_date": new, "cause": cause,
                                      # No slip is recorded here: the customer is told the date.
                                      "old_customer_date": old, "new_customer_date": new,
                                      "confirmed": confirmed(new)})


def allocated(oid: str, quantity: int, cause: str | None = None) -> Event:
    data: dict[str, Any] = {"order": oid, "line": "1", **WHERE, "quantity": quantity}
    return ("order.allocated", data if cause is None else {**data, "cause": cause})


def backordered(oid: str, quantity: int, promised: str | None, cause: str | None = None) -> Event:
    data: dict[str, Any] = {"order": oid, "line": "1", **WHERE, "quantity": quantity,
                            "promised_date": promised, "customer_date": promised,
                            "confirmed": confirmed(promised)}
    return ("order.backordered", data if cause is None else {**data, "cause": cause})


def receipt_event(kind: str, rid: str, quantity: int, received: int, open_: int, expected: str,
                  status: str, **extra: Any) -> Event:
    return (kind, {"receipt": rid, **extra, **WHERE, "quantity": quantity, "received": received,
                   "open": open_, "expected_date": expected, "status": status})


def stock(quantity: int, reason: str, on_hand: int, note: str | None = None) -> Event:
    return ("stock.adjusted", {**WHERE, "quantity": quantity, "reason": reason, "note": note,
                               "on_hand": on_hand})


@dataclass(frozen=True)
class Row:
    rule: str
    change: Step
    expected: list[Event]
    setup: list[Step] = field(default_factory=list)
    on_hand: int = 0
    accounts: dict[str, int] = field(default_factory=lambda: {"acme": 100, "bob": 100})


TABLE = [
    Row("receipt added: a waiting line is pegged to it",
        setup=[order("SO-1", "acme", 3)],
        change=receipt("PO-1", 5, "2026-01-20"),
        expected=[receipt_event("receipt.changed", "PO-1", 5, 0, 5, "2026-01-20", "open",
                                change="created"),
                  moved("SO-1", WAITING, "2026-01-20", "receipt_added")]),
    Row("receipt moved later: its pegs follow it (rule 4)",
        setup=[receipt("PO-1", 5, "2026-02-01"), order("SO-1", "acme", 3)],
        change=patch("PO-1", expected="2026-02-20"),
        expected=[receipt_event("receipt.changed", "PO-1", 5, 0, 5, "2026-02-20", "open",
                                change="updated"),
                  moved("SO-1", "2026-02-01", "2026-02-20", "receipt_delayed")]),
    Row("receipt moved earlier",
        setup=[receipt("PO-1", 5, "2026-02-20"), order("SO-1", "acme", 3)],
        change=patch("PO-1", expected="2026-02-01"),
        expected=[receipt_event("receipt.changed", "PO-1", 5, 0, 5, "2026-02-01", "open",
                                change="updated"),
                  moved("SO-1", "2026-02-20", "2026-02-01", "receipt_earlier")]),
    Row("harvest reduced: the latest arrival loses its pegs (rule 4)",
        setup=[receipt("H-1", 5, "2026-02-01", "harvest"), order("SO-1", "acme", 3),
               order("SO-2", "bob", 2)],
        change=patch("H-1", quantity=3),
        expected=[receipt_event("receipt.changed", "H-1", 3, 0, 3, "2026-02-01", "open",
                                change="updated"),
                  moved("SO-2", "2026-02-01", WAITING, "harvest_short")]),
    Row("receipt cancelled: its pegs wait",
        setup=[receipt("PO-1", 5, "2026-02-01"), order("SO-1", "acme", 3)],
        change=(supply.cancel_receipt, supply.CancelReceipt("PO-1")),
        expected=[receipt_event("receipt.changed", "PO-1", 5, 0, 0, "2026-02-01", "cancelled",
                                change="cancelled"),
                  moved("SO-1", "2026-02-01", WAITING, "receipt_cancelled")]),
    Row("received early and in full: pegged units become held (rule 5)",
        setup=[receipt("PO-1", 5, "2026-02-01"), order("SO-1", "acme", 3)],
        change=receive("PO-1"),
        expected=[receipt_event("receipt.received", "PO-1", 5, 5, 0, "2026-02-01", "received",
                                received_now=5),
                  allocated("SO-1", 3, "supply_arrived"),
                  moved("SO-1", "2026-02-01", TODAY, "supply_arrived")]),
    Row("received short: held in rank order up to what arrived, the rest stays pegged",
        setup=[receipt("PO-1", 5, "2026-02-01"), order("SO-1", "acme", 3),
               order("SO-2", "bob", 2)],
        change=receive("PO-1", 2),
        expected=[receipt_event("receipt.received", "PO-1", 5, 2, 3, "2026-02-01", "open",
                                received_now=2),
                  allocated("SO-1", 2, "supply_arrived")]),
    Row("received short and closed: the open pegs are lost (rule 4)",
        setup=[receipt("PO-1", 5, "2026-02-01"), order("SO-1", "acme", 3),
               order("SO-2", "bob", 2), receive("PO-1", 2)],
        change=patch("PO-1", quantity=2),
        expected=[receipt_event("receipt.changed", "PO-1", 2, 2, 0, "2026-02-01", "received",
                                change="updated"),
                  moved("SO-1", "2026-02-01", WAITING, "receipt_reduced"),
                  moved("SO-2", "2026-02-01", WAITING, "receipt_reduced")]),
    Row("received long: the over-delivery, counted in, serves the queue (rule 3)",
        setup=[receipt("PO-1", 5, "2026-02-01"), order("SO-1", "acme", 5),
               order("SO-2", "bob", 2), receive("PO-1")],
        change=adjust(2, "correction", "over-delivery on PO-1"),
        expected=[stock(2, "correction", 7, "over-delivery on PO-1"),
                  allocated("SO-2", 2, "stock_correction"),
                  moved("SO-2", WAITING, TODAY, "stock_correction")]),
    Row("stock adjusted down: held units taken back in reverse rank order (rule 4)",
        on_hand=4, accounts={"key": 10, "acme": 100},
        setup=[order("SO-1", "acme", 2), order("SO-2", "key", 2)],
        change=adjust(-1, "damage"),
        expected=[stock(-1, "damage", 3),
                  backordered("SO-1", 1, WAITING, "stock_damage"),
                  moved("SO-1", TODAY, WAITING, "stock_damage")]),
    Row("stock adjusted up: waiting units are held, the date stays while some still wait",
        setup=[order("SO-1", "acme", 3)],
        change=adjust(2, "count"),
        expected=[stock(2, "count", 2), allocated("SO-1", 2, "stock_count")]),
    Row("stock adjusted up: a pegged line is made earlier (rule 3, second step)",
        setup=[receipt("PO-1", 5, "2026-02-01"), order("SO-1", "acme", 3)],
        change=adjust(3, "return"),
        expected=[stock(3, "return", 3), allocated("SO-1", 3, "stock_return"),
                  moved("SO-1", "2026-02-01", TODAY, "stock_return")]),
    Row("cancel: freed units go to the next line in the queue",
        on_hand=3,
        setup=[order("SO-1", "acme", 3), order("SO-2", "bob", 2)],
        change=(orders.cancel_order, orders.CancelOrder("SO-1", [orders.LineQuantity("1", 2)])),
        expected=[("order.cancelled", {"order": "SO-1", "line": "1", "quantity": 2}),
                  allocated("SO-2", 2, "order_cancelled"),
                  moved("SO-2", WAITING, TODAY, "order_cancelled")]),
    Row("release: the commitment's units go to the queue",
        on_hand=5,
        setup=[commit("C-1", "acme", 5, TODAY), order("SO-2", "bob", 3)],
        change=(cm.release_commitment, cm.ReleaseCommitment("C-1", 3)),
        expected=[("commitment.released", {"commitment": "C-1", "quantity": 3}),
                  allocated("SO-2", 3, "commitment_released"),
                  moved("SO-2", WAITING, TODAY, "commitment_released")]),
    Row("expiry: what remains is released on the day (rule 6)",
        on_hand=5,
        setup=[commit("C-1", "acme", 5, TODAY, expires="2026-01-10"), order("SO-2", "bob", 3)],
        change=(cm.advance_clock, cm.AdvanceClock(date(2026, 1, 10))),
        # The old date is the estimate as of the new day: the calendar alone moved it.
        expected=[("commitment.expired", {"commitment": "C-1", "quantity": 5}),
                  allocated("SO-2", 3, "commitment_expired"),
                  moved("SO-2", "2026-02-09", "2026-01-10", "commitment_expired")]),
    Row("consumption: the order takes over its account's held units (rule 7)",
        on_hand=10,
        setup=[commit("C-1", "acme", 6, TODAY)],
        change=order("SO-1", "acme", 4),
        expected=[("commitment.consumed", {"commitment": "C-1", "order": "SO-1", "line": "1",
                                           "quantity": 4, "remaining": 2}),
                  allocated("SO-1", 4)]),
    Row("consumption: units taken over from a receipt are made earlier by free stock",
        on_hand=2,
        setup=[receipt("PO-1", 5, "2026-02-01"), commit("C-1", "acme", 5, "2026-03-01")],
        change=order("SO-1", "acme", 3),
        expected=[("commitment.consumed", {"commitment": "C-1", "order": "SO-1", "line": "1",
                                           "quantity": 3, "remaining": 2}),
                  allocated("SO-1", 2),
                  backordered("SO-1", 1, "2026-02-01")]),
    Row("key-account arrival takes free units only: nobody else's promise moves (rule 2)",
        on_hand=2, accounts={"key": 10, "acme": 100},
        setup=[order("SO-1", "acme", 3)],
        change=order("SO-2", "key", 2),
        expected=[backordered("SO-2", 2, WAITING)]),
    Row("freed supply serves the key account first (rule 3, rank order)",
        on_hand=2, accounts={"key": 10, "acme": 100},
        setup=[order("SO-1", "acme", 3), order("SO-2", "key", 2)],
        change=adjust(1, "return"),
        expected=[stock(1, "return", 3), allocated("SO-2", 1, "stock_return")]),
    Row("a receipt that slips past a strict commitment's need date puts it at risk "
        "(DESIGN.md's worked example, in units of 1,000)",
        on_hand=2,
        setup=[receipt("PO-1", 5, "2026-02-01"), receipt("PO-2", 6, "2026-03-01"),
               commit("C-1", "acme", 10, "2026-04-01"), order("SO-1", "bob", 3)],
        change=patch("PO-2", expected="2026-05-01"),
        expected=[receipt_event("receipt.changed", "PO-2", 6, 0, 6, "2026-05-01", "open",
                                change="updated"),
                  ("commitment.at_risk", {"commitment": "C-1", "shortfall": 6,
                                          "earliest_date": "2026-05-01",
                                          "cause": "receipt_delayed"})]),
    Row("shipping takes held units only: nobody else hears of it",
        on_hand=3,
        setup=[order("SO-1", "acme", 2), order("SO-2", "bob", 3)],
        change=(orders.ship_order, orders.ShipOrder("SO-1", [orders.LineQuantity("1", 2)])),
        expected=[("order.shipped", {"order": "SO-1", "line": "1", "quantity": 2})]),
    Row("the calendar alone records nothing (rule 10)",
        on_hand=2,
        setup=[receipt("PO-1", 3, "2026-02-01"), order("SO-1", "acme", 4),
               order("SO-2", "bob", 3), commit("C-1", "bob", 1, "2026-03-01", mode="partial")],
        change=(cm.advance_clock, cm.AdvanceClock(date(2026, 1, 25))),
        expected=[]),
]


def _last_event_id(store: Store) -> int:
    with store.unit_of_work(write=False) as uow:
        items = list_events(uow.tx, 0, None, 1000)["items"]
    return int(items[-1]["id"]) if items else 0


def _events_after(store: Store, after: int) -> list[Event]:
    with store.unit_of_work(write=False) as uow:
        return [(e["type"], e["data"]) for e in list_events(uow.tx, after, None, 1000)["items"]]


@pytest.mark.parametrize("row", TABLE, ids=[r.rule.split(":")[0] for r in TABLE])
def test_each_change_records_exactly_its_events(store: Store, row: Row) -> None:
    seed(store, on_hand=row.on_hand, accounts=row.accounts, lead_time_days=30)
    for handler, command in row.setup:
        assert run(store, handler, command).ok, (handler.__name__, command)
    mark = _last_event_id(store)
    handler, command = row.change
    assert run(store, handler, command).ok
    assert _events_after(store, mark) == row.expected
