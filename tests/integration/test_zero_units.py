"""The service layer refuses 0 units as the API does (the CLI and imports go
through it without the HTTP schema): every command that asks for units
answers ``invalid`` naming the field, and changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.integration.helpers import run, seed

from earmark.domain.outcomes import Outcome
from earmark.service import commitments, orders, supply
from earmark.service.queries import get_order, get_receipt
from earmark.service.uow import Store

NEED = date(2026, 2, 1)

ZERO_UNITS: list[tuple[Any, Any, str]] = [
    (orders.place_order, orders.PlaceOrder("SO-0", "acme", [orders.LineIn("1", "COAT", 0, "WEB")]),
     "lines[0].quantity"),
    (commitments.create_commitment,
     commitments.CreateCommitment("C-0", "acme", "COAT", "WEB", 0, NEED, mode="partial"),
     "quantity"),
    (supply.create_receipt, supply.CreateReceipt("PO-0", "COAT", "WEB", 0, NEED), "quantity"),
    (supply.patch_receipt, supply.PatchReceipt("PO-1", quantity=0), "quantity"),
    (supply.receive_receipt, supply.ReceiveReceipt("PO-1", 0), "quantity"),
    (orders.cancel_order, orders.CancelOrder("SO-1", [orders.LineQuantity("1", 0)]),
     "lines[0].quantity"),
    (orders.ship_order, orders.ShipOrder("SO-1", [orders.LineQuantity("1", 0)]),
     "lines[0].quantity"),
    (commitments.release_commitment, commitments.ReleaseCommitment("C-1", 0), "quantity"),
    (supply.adjust, supply.Adjust("COAT", "WEB", 0, "count"), "quantity"),
    (commitments.quote_promise, commitments.QuotePromise("COAT", 0, "WEB"), "quantity"),
]


def snapshot(store: Store) -> tuple[Any, ...]:
    with store.unit_of_work(write=False) as uow:
        return (get_order(uow.tx, "SO-1", uow.today), get_receipt(uow.tx, "PO-1"),
                get_order(uow.tx, "SO-0", uow.today), get_receipt(uow.tx, "PO-0"))


def test_every_command_that_asks_for_units_refuses_0_and_changes_nothing(store: Store) -> None:
    seed(store, on_hand=5)
    assert run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 10, NEED)).ok
    assert run(store, orders.place_order, orders.PlaceOrder(
        "SO-1", "acme", [orders.LineIn("1", "COAT", 2, "WEB")])).ok
    assert run(store, commitments.create_commitment, commitments.CreateCommitment(
        "C-1", "acme", "COAT", "WEB", 1, NEED, mode="partial")).ok
    before = snapshot(store)
    for handler, command, field in ZERO_UNITS:
        result = run(store, handler, command)
        assert (result.outcome, [e.field for e in result.errors]) == (Outcome.invalid, [field]), \
            command
    assert snapshot(store) == before
