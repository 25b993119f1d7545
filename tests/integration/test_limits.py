"""Named limits are enforced and leave no trace."""

from __future__ import annotations

from datetime import date

from tests.integration.helpers import run, seed

from earmark.domain.limits import ORDER_LINES_MAX, QUANTITY_MAX
from earmark.domain.outcomes import Outcome
from earmark.service import orders, supply
from earmark.service.check import check_store
from earmark.service.queries import get_order
from earmark.service.uow import Store


def lines(n: int, quantity: int = 1) -> list[orders.LineIn]:
    return [orders.LineIn(str(i), "COAT", quantity, "WEB") for i in range(n)]


def test_an_order_has_at_most_ORDER_LINES_MAX_lines(store: Store) -> None:
    seed(store, on_hand=10)
    too_many = run(store, orders.place_order, orders.PlaceOrder("SO-big", "acme", lines(ORDER_LINES_MAX + 1)))
    assert too_many.outcome is Outcome.invalid and too_many.errors[0].field == "lines"
    with store.unit_of_work(write=False) as uow:
        assert get_order(uow.tx, "SO-big", uow.today) is None
    assert run(store, orders.place_order,
               orders.PlaceOrder("SO-max", "acme", lines(ORDER_LINES_MAX))).ok


def test_quantity_is_at_most_QUANTITY_MAX(store: Store) -> None:
    seed(store, on_hand=0)
    over = run(store, orders.place_order, orders.PlaceOrder("SO-1", "acme", lines(1, QUANTITY_MAX + 1)))
    assert over.outcome is Outcome.invalid
    assert run(store, orders.place_order, orders.PlaceOrder("SO-2", "acme", lines(1, QUANTITY_MAX))).ok
    receipt = supply.CreateReceipt("PO-1", "COAT", "WEB", QUANTITY_MAX + 1, date(2026, 2, 1))
    assert run(store, supply.create_receipt, receipt).outcome is Outcome.invalid


def test_ids_are_1_to_64_chars_of_the_allowed_alphabet(store: Store) -> None:
    seed(store, on_hand=0)
    for bad in ("", "x" * 65, "has space", "semi;colon", "é"):
        result = run(store, orders.place_order, orders.PlaceOrder(bad, "acme", lines(1)))
        assert result.outcome is Outcome.invalid, bad
    assert run(store, orders.place_order, orders.PlaceOrder("A-z_0.9:x" + "y" * 55, "acme", lines(1))).ok
    assert check_store(store)[1] == []
