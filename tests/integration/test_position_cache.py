"""Writers keep positions in memory between units of work; a copy that another
writer (another process) made stale is never used."""

from __future__ import annotations

from tests.conftest import TODAY
from tests.integration.helpers import run, seed

from earmark.service import master, orders, supply
from earmark.service.check import check_store
from earmark.service.clock import Clock
from earmark.service.uow import Store


def order(oid: str, account: str, quantity: int) -> orders.PlaceOrder:
    return orders.PlaceOrder(oid, account, [orders.LineIn("1", "COAT", quantity, "WEB")])


def test_a_second_process_changing_a_position_invalidates_the_kept_copy(database_url: str) -> None:
    one = Store(database_url, Clock(frozen=TODAY))
    one.upgrade()
    two = Store(database_url, Clock(frozen=TODAY))
    seed(one, on_hand=5)
    assert run(one, orders.place_order, order("SO-1", "acme", 3)).value["lines"][0]["allocated"] == 3
    # The other process takes stock away; the first one's kept copy is now stale.
    assert run(two, supply.adjust, supply.Adjust("COAT", "WEB", -2, "damage")).ok
    placed = run(one, orders.place_order, order("SO-2", "acme", 3))
    assert placed.value["lines"][0]["allocated"] == 0
    assert check_store(one)[1] == []
    one.dispose()
    two.dispose()


def test_a_new_priority_reranks_kept_positions(database_url: str) -> None:
    one = Store(database_url, Clock(frozen=TODAY))
    one.upgrade()
    two = Store(database_url, Clock(frozen=TODAY))
    seed(one, on_hand=0, accounts={"acme": 100, "bob": 100})
    run(one, orders.place_order, order("SO-A", "acme", 1))
    run(one, orders.place_order, order("SO-B", "bob", 1))
    # Another process makes bob a key account: bob is now served first.
    assert run(two, master.upsert_account, master.UpsertAccount("bob", "Bob", 10)).ok
    run(one, supply.adjust, supply.Adjust("COAT", "WEB", 1, "count"))
    with one.unit_of_work(write=False) as uow:
        from earmark.service.queries import get_order

        assert get_order(uow.tx, "SO-B", uow.today)["lines"][0]["allocated"] == 1
        assert get_order(uow.tx, "SO-A", uow.today)["lines"][0]["allocated"] == 0
    assert check_store(one)[1] == []
    one.dispose()
    two.dispose()
