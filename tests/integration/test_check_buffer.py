"""``earmark check`` proves the buffer invariants on stored rows (SQLite and PostgreSQL).

Safety stock is a buffer, not a customer: held units may sit in it (rules 4
and 5 put them there) but no unit may wait while on-hand offers units beyond
it, and no bucket may peg more than it holds (on-hand: on-hand itself).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import update

from earmark.service import master, orders, supply
from earmark.service.check import check_store
from earmark.service.queries import availability
from earmark.service.uow import Store
from earmark.store import tables as t
from earmark.store.repository import load_position

from .helpers import run, seed

FEB = date(2026, 2, 1)


def short_buffer(store: Store) -> None:
    """COAT @ WEB: safety stock 5, a receipt of 4 pegged to SO-1 and received
    in full, so 4 are held while on-hand (4) is below safety stock + held."""
    seed(store)
    assert run(store, master.upsert_item, master.UpsertItem("COAT", "Coat", safety_stock=5)).ok
    assert run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 4, FEB)).ok
    line = orders.LineIn("1", "COAT", 4, "WEB", requested_date=FEB)
    assert run(store, orders.place_order, orders.PlaceOrder("SO-1", "acme", [line])).ok
    assert run(store, supply.receive_receipt, supply.ReceiveReceipt("PO-1")).ok


def figures(store: Store) -> dict[str, object]:
    with store.unit_of_work(write=False) as uow:
        return availability(load_position(uow.tx, "COAT", "WEB", uow.today).position)


def test_a_short_buffer_is_reported_and_breaks_no_invariant(store: Store) -> None:
    short_buffer(store)
    shown = figures(store)
    assert (shown["on_hand"], shown["allocated"], shown["safety_stock"]) == (4, 4, 5)
    assert shown["safety_stock_short"] == 5
    assert shown["available_now"] == 0
    assert shown["atp"][0] == {"date": "2026-01-05", "supply": 0, "available": 0}  # type: ignore[index]
    assert check_store(store)[1] == []


def test_check_names_held_units_beyond_on_hand(store: Store) -> None:
    short_buffer(store)
    with store.engine.begin() as tx:
        # Stock lost without the rules running: the ledger and the counter
        # agree on 3 on hand, but 4 units are still held.
        tx.execute(t.stock_ledger.insert().values(
            sku="COAT", location="WEB", quantity=-1, reason="damage", note=None,
            at=datetime.now(UTC)))
        tx.execute(update(t.positions).where(t.positions.c.sku == "COAT").values(on_hand=3))
    problems = [f.problem for f in check_store(store)[1]]
    assert any("held 4 > on-hand 3" in p for p in problems), problems
    assert any("pegs 4 of 3" in p for p in problems), problems


def test_check_names_units_waiting_while_on_hand_offers_free_units(store: Store) -> None:
    seed(store, on_hand=10)
    line = orders.LineIn("1", "COAT", 3, "WEB")
    assert run(store, orders.place_order, orders.PlaceOrder("SO-1", "acme", [line])).ok
    assert check_store(store)[1] == []
    with store.engine.begin() as tx:
        # The line's pegs vanish behind the rules' back: 3 units wait while
        # on-hand offers 10.
        tx.execute(t.pegs.delete())
        tx.execute(update(t.order_lines).values(allocated=0))
        tx.execute(update(t.positions).values(held=0))
    problems = [f.problem for f in check_store(store)[1]]
    assert any("3 units wait while buckets offer free units" in p for p in problems), problems


def test_check_names_a_receipt_pegged_beyond_its_open_quantity(store: Store) -> None:
    seed(store)
    assert run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 4, FEB)).ok
    line = orders.LineIn("1", "COAT", 4, "WEB")
    assert run(store, orders.place_order, orders.PlaceOrder("SO-1", "acme", [line])).ok
    with store.engine.begin() as tx:
        tx.execute(update(t.receipts).values(quantity=3))
    problems = [f.problem for f in check_store(store)[1]]
    assert any("bucket 'PO-1' pegs 4 of 3" in p for p in problems), problems
