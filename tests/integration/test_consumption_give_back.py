"""Rule 9 through the service layer: cancelling a line that consumed an open
commitment gives its units back to the commitment (up to what the line
consumed, the latest consumption first), waiting or with their pegs; the
commitment's ``consumed`` falls and its ``remaining`` grows. The order's
answer lists what each line consumed."""

from __future__ import annotations

from datetime import date

from tests.integration.helpers import run, seed

from earmark.service import commitments, orders
from earmark.service.check import check_store
from earmark.service.queries import get_commitment, get_order
from earmark.service.uow import Store

NEED = date(2026, 1, 10)


def commitment(store: Store, cid: str, quantity: int, need: date = NEED) -> None:
    assert run(store, commitments.create_commitment, commitments.CreateCommitment(
        cid, "acme", "COAT", "WEB", quantity, need)).ok


def order(store: Store, oid: str, quantity: int) -> dict[str, object]:
    result = run(store, orders.place_order, orders.PlaceOrder(
        oid, "acme", [orders.LineIn("1", "COAT", quantity, "WEB")]))
    assert result.ok
    return result.value  # type: ignore[no-any-return]


def shown(store: Store, cid: str) -> dict[str, object]:
    with store.unit_of_work(write=False) as uow:
        found = get_commitment(uow.tx, cid, uow.today)
    assert found is not None
    return found


def test_cancelling_a_consuming_line_gives_the_units_back_to_the_commitment(store: Store) -> None:
    seed(store, on_hand=10)
    commitment(store, "C-1", 5)
    placed = order(store, "SO-1", 3)
    assert placed["lines"][0]["consumed"] == [{"commitment": "C-1", "quantity": 3}]  # type: ignore[index]
    assert (shown(store, "C-1")["consumed"], shown(store, "C-1")["remaining"]) == (3, 2)

    cancelled = run(store, orders.cancel_order, orders.CancelOrder("SO-1"))
    assert cancelled.ok
    assert "consumed" not in cancelled.value["lines"][0]
    after = shown(store, "C-1")
    assert (after["consumed"], after["remaining"], after["confirmed"], after["status"]) == (
        0, 5, 5, "open")
    assert check_store(store)[1] == []


def test_a_commitment_consumed_in_full_opens_again_when_its_units_come_back(store: Store) -> None:
    seed(store, on_hand=10)
    commitment(store, "C-1", 3)
    order(store, "SO-1", 5)
    assert shown(store, "C-1")["status"] == "consumed"

    # 2 of the line's 5 units are cancelled: they go back to C-1, held.
    part = orders.CancelOrder("SO-1", [orders.LineQuantity("1", 2)])
    assert run(store, orders.cancel_order, part).ok
    after = shown(store, "C-1")
    assert (after["status"], after["consumed"], after["remaining"], after["confirmed"]) == (
        "open", 1, 2, 2)
    with store.unit_of_work(write=False) as uow:
        line = get_order(uow.tx, "SO-1", uow.today)["lines"][0]  # type: ignore[index]
    assert line["consumed"] == [{"commitment": "C-1", "quantity": 1}]
    assert line["allocated"] == 3
    assert check_store(store)[1] == []


def test_units_beyond_what_the_line_consumed_are_freed_for_the_queue(store: Store) -> None:
    seed(store, on_hand=4, lead_time_days=10)
    commitment(store, "C-1", 2)
    order(store, "SO-1", 4)  # 2 consumed, 2 from free stock
    waiting = order(store, "SO-2", 2)
    assert waiting["lines"][0]["allocated"] == 0  # type: ignore[index]

    assert run(store, orders.cancel_order, orders.CancelOrder("SO-1")).ok
    # 2 back to C-1, the other 2 freed: SO-2 is held now.
    assert (shown(store, "C-1")["remaining"], shown(store, "C-1")["confirmed"]) == (2, 2)
    with store.unit_of_work(write=False) as uow:
        assert get_order(uow.tx, "SO-2", uow.today)["lines"][0]["allocated"] == 2  # type: ignore[index]
    assert check_store(store)[1] == []


def test_a_released_commitment_takes_nothing_back(store: Store) -> None:
    seed(store, on_hand=10)
    commitment(store, "C-1", 5)
    order(store, "SO-1", 3)
    assert run(store, commitments.release_commitment, commitments.ReleaseCommitment("C-1")).ok
    assert run(store, orders.cancel_order, orders.CancelOrder("SO-1")).ok
    after = shown(store, "C-1")
    assert (after["status"], after["consumed"], after["remaining"]) == ("released", 3, 0)
    assert check_store(store)[1] == []
