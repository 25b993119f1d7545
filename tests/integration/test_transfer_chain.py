"""Transfers through the service layer, on SQLite and PostgreSQL: a change at a
transfer's source travels on to its destination, hop after hop, within one
command (``Effects.finish``), and ``earmark check`` proves that no unit was
made or lost on the way and that every transfer's receipt holds what it should.

Today is 2026-01-05. HUB -> WEB takes 1 day, WEB -> STORE 2 days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, select, update

from earmark.domain.outcomes import InvariantViolation
from earmark.service import commitments as cm
from earmark.service import effects, master, network, orders, supply, transfers
from earmark.service.check import check_store
from earmark.service.queries import get_order
from earmark.service.uow import Store
from earmark.store import tables as t

from .helpers import run, seed


def chain(store: Store) -> None:
    """A PO of 5 at HUB on 01-10 feeds T1 (HUB -> WEB, needed at WEB 01-11),
    whose receipt at WEB feeds T2 (WEB -> STORE, needed at STORE 01-13), whose
    receipt at STORE serves SO-1 (5 units)."""
    seed(store, location="HUB")
    for code in ("WEB", "STORE"):
        assert run(store, master.upsert_location, master.UpsertLocation(code, code)).ok
    assert run(store, network.set_lane, network.SetLane("HUB", "WEB", 1)).ok
    assert run(store, network.set_lane, network.SetLane("WEB", "STORE", 2)).ok
    assert run(store, supply.create_receipt,
               supply.CreateReceipt("PO-1", "COAT", "HUB", 5, date(2026, 1, 10))).ok
    assert run(store, transfers.create_transfer, transfers.CreateTransfer(
        "T1", "COAT", "HUB", "WEB", 5, need_date=date(2026, 1, 11))).ok
    assert run(store, transfers.create_transfer, transfers.CreateTransfer(
        "T2", "COAT", "WEB", "STORE", 5, need_date=date(2026, 1, 13))).ok
    line = orders.LineIn("1", "COAT", 5, "STORE")
    assert run(store, orders.place_order, orders.PlaceOrder("SO-1", "acme", [line])).ok


def promised(store: Store) -> tuple[str | None, str | None, str | None]:
    with store.unit_of_work(write=False) as uow:
        t1 = transfers.get_transfer(uow.tx, "T1", uow.today)
        t2 = transfers.get_transfer(uow.tx, "T2", uow.today)
        order = get_order(uow.tx, "SO-1", uow.today)
        assert t1 is not None and t2 is not None and order is not None
        return t1["expected_date"], t2["expected_date"], order["lines"][0]["promised_date"]


def test_a_slip_at_the_supplier_travels_through_two_transfers_to_the_customer(
    store: Store,
) -> None:
    chain(store)
    # PO 01-10 at HUB -> T1 at WEB 01-11 -> T2 pegged there, at STORE 01-13.
    assert promised(store) == ("2026-01-11", "2026-01-13", "2026-01-13")
    assert check_store(store)[1] == []
    assert run(store, supply.patch_receipt,
               supply.PatchReceipt("PO-1", expected_date=date(2026, 1, 15))).ok
    # Five days later at every hop, in the one command that moved the PO.
    assert promised(store) == ("2026-01-16", "2026-01-18", "2026-01-18")
    with store.unit_of_work(write=False) as uow:
        moved = [row.data for row in uow.tx.execute(
            select(t.events).where(t.events.c.type == "order.promise_changed")).all()]
    assert moved[-1]["order"] == "SO-1"
    assert (moved[-1]["old_date"], moved[-1]["new_date"]) == ("2026-01-13", "2026-01-18")
    assert check_store(store)[1] == []


def test_a_chain_longer_than_the_bound_is_refused(store: Store,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    chain(store)
    monkeypatch.setattr(effects, "CHAIN_ROUNDS_MAX", 1)
    with pytest.raises(InvariantViolation, match="more than 1 transfers"):
        run(store, supply.patch_receipt,
            supply.PatchReceipt("PO-1", expected_date=date(2026, 1, 15)))
    assert promised(store) == ("2026-01-11", "2026-01-13", "2026-01-13")


def shipped_and_received(store: Store) -> None:
    """WEB has 10; T (WEB -> STORE) of 4 ships 3, receives 2 and cancels the 1 left."""
    seed(store, on_hand=10)
    assert run(store, master.upsert_location, master.UpsertLocation("STORE", "Store")).ok
    assert run(store, network.set_lane, network.SetLane("WEB", "STORE", 2)).ok
    assert run(store, transfers.create_transfer,
               transfers.CreateTransfer("T", "COAT", "WEB", "STORE", 4)).ok
    assert run(store, transfers.ship_transfer, transfers.ShipTransfer("T", 3)).ok
    assert run(store, transfers.receive_transfer, transfers.ReceiveTransfer("T", 2)).ok
    assert run(store, transfers.cancel_transfer, transfers.CancelTransfer("T")).ok


def test_check_finds_nothing_wrong_after_ship_receive_and_cancel(store: Store) -> None:
    shipped_and_received(store)
    with store.unit_of_work(write=False) as uow:
        answer = transfers.get_transfer(uow.tx, "T", uow.today)
    assert answer is not None
    assert {k: answer[k] for k in ("shipped", "received", "cancelled", "in_transit", "status")} == {
        "shipped": 3, "received": 2, "cancelled": 1, "in_transit": 1, "status": "in_transit"}
    assert check_store(store) == (2, [])


def test_check_names_a_transfer_receipt_that_does_not_follow_its_transfer(store: Store) -> None:
    shipped_and_received(store)
    with store.engine.begin() as tx:
        tx.execute(update(t.receipts).where(t.receipts.c.id == "T").values(quantity=4))
    problems = [str(f) for f in check_store(store)[1]]
    assert any("transfer T: its receipt holds 2 (open), but 1 are pegged at the source or in "
               "transit" in p for p in problems), problems


def test_check_names_units_shipped_without_a_ledger_entry(store: Store) -> None:
    shipped_and_received(store)
    with store.engine.begin() as tx:
        tx.execute(delete(t.stock_ledger).where(t.stock_ledger.c.reason == "transfer_out"))
        tx.execute(t.stock_ledger.insert().values(
            sku="COAT", location="WEB", quantity=-3, reason="damage", note=None,
            at=datetime.now(UTC)))
    problems = [str(f) for f in check_store(store)[1]]
    assert problems == ["COAT @ WEB: transfer T: shipped 3 but the ledger took 0 out of its "
                        "source"], problems


def test_a_transfer_is_never_supplied_by_a_transfer_that_it_supplies(store: Store) -> None:
    """WEB <-> STORE, 2 days each way. T1 (WEB -> STORE, 5) holds WEB's 5; T2
    (STORE -> WEB, 5, needed at WEB 01-09) pegs T1's receipt at STORE. When
    WEB's 5 are damaged, T1 may not peg T2's receipt at WEB (it would supply
    itself: 5 units from nowhere, and a date that moves on for ever), so
    both wait and both receipts are empty."""
    seed(store, on_hand=5)
    assert run(store, master.upsert_location, master.UpsertLocation("STORE", "Store")).ok
    assert run(store, network.set_lane, network.SetLane("WEB", "STORE", 2)).ok
    assert run(store, network.set_lane, network.SetLane("STORE", "WEB", 2)).ok
    assert run(store, transfers.create_transfer,
               transfers.CreateTransfer("T1", "COAT", "WEB", "STORE", 5)).ok
    assert run(store, transfers.create_transfer, transfers.CreateTransfer(
        "T2", "COAT", "STORE", "WEB", 5, need_date=date(2026, 1, 9))).ok
    assert run(store, supply.adjust, supply.Adjust("COAT", "WEB", -5, "damage")).ok
    with store.unit_of_work(write=False) as uow:
        t1 = transfers.get_transfer(uow.tx, "T1", uow.today)
        t2 = transfers.get_transfer(uow.tx, "T2", uow.today)
        opened = dict(uow.tx.execute(select(t.receipts.c.id, t.receipts.c.quantity - t.receipts.c.received)
                                     .where(t.receipts.c.id.in_(["T1", "T2"]))).all())
    assert t1 is not None and t2 is not None
    assert (t1["promises"], t2["promises"]) == ([{"quantity": 5, "date": None, "confirmed": False}],
                                                [{"quantity": 5, "date": None, "confirmed": False}])
    assert opened == {"T1": 0, "T2": 0}
    assert check_store(store)[1] == []


def test_a_transfers_default_priority_is_after_every_account(store: Store) -> None:
    assert run(store, master.upsert_item, master.UpsertItem("COAT", "Coat")).ok
    for code in ("WEB", "STORE"):
        assert run(store, master.upsert_location, master.UpsertLocation(code, code)).ok
    assert run(store, supply.adjust, supply.Adjust("COAT", "WEB", 10, "initial")).ok
    assert run(store, network.set_lane, network.SetLane("WEB", "STORE", 1)).ok
    alone = run(store, transfers.create_transfer,
                transfers.CreateTransfer("T1", "COAT", "WEB", "STORE", 1))
    assert alone.value["priority"] == 100  # no account exists
    for account, priority in (("key", 5), ("small", 300)):
        assert run(store, master.upsert_account,
                   master.UpsertAccount(account, account, priority)).ok
    after = run(store, transfers.create_transfer,
                transfers.CreateTransfer("T2", "COAT", "WEB", "STORE", 1))
    assert after.value["priority"] == 300
    given = run(store, transfers.create_transfer,
                transfers.CreateTransfer("T3", "COAT", "WEB", "STORE", 1, priority=0))
    assert given.value["priority"] == 0


def test_units_held_and_not_shipped_arrive_later_as_the_days_pass(store: Store) -> None:
    """WEB has 10; T (WEB -> STORE, 2 days) of 3 is held, not shipped; SO-1 at
    STORE is served by it on 01-07. Three days on (01-08), T still has not
    left: it arrives 01-10, and SO-1 hears of it."""
    seed(store, on_hand=10)
    assert run(store, master.upsert_location, master.UpsertLocation("STORE", "Store")).ok
    assert run(store, network.set_lane, network.SetLane("WEB", "STORE", 2)).ok
    assert run(store, transfers.create_transfer,
               transfers.CreateTransfer("T", "COAT", "WEB", "STORE", 3)).ok
    line = orders.LineIn("1", "COAT", 3, "STORE")
    assert run(store, orders.place_order, orders.PlaceOrder("SO-1", "acme", [line])).ok
    assert run(store, cm.advance_clock, cm.AdvanceClock(date(2026, 1, 8))).ok
    with store.unit_of_work(write=False) as uow:
        moved = transfers.get_transfer(uow.tx, "T", uow.today)
        order = get_order(uow.tx, "SO-1", uow.today)
        changed = [row.data for row in uow.tx.execute(
            select(t.events).where(t.events.c.type == "order.promise_changed")).all()]
    assert moved is not None and order is not None
    assert moved["expected_date"] == "2026-01-10"
    assert order["lines"][0]["promised_date"] == "2026-01-10"
    assert [(c["old_date"], c["new_date"], c["cause"]) for c in changed] == [
        ("2026-01-08", "2026-01-10", "transfer_not_shipped")]
    assert check_store(store)[1] == []
