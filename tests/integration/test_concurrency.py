"""Many writers on one hot position: nothing oversold, nothing lost."""

from __future__ import annotations

import threading

import pytest
from tests.conftest import TODAY
from tests.integration.helpers import run, seed

from earmark.service import orders
from earmark.service.check import check_store
from earmark.service.clock import Clock
from earmark.service.queries import availability
from earmark.service.uow import Store

THREADS = 8
ORDERS_PER_THREAD = 15
STOCK = 50


@pytest.mark.postgres
def test_concurrent_orders_on_one_position_oversell_nothing(postgres_url: str) -> None:
    store = Store(postgres_url, Clock(frozen=TODAY))
    store.upgrade()
    seed(store, on_hand=STOCK, accounts={"acme": 100, "key": 10})
    errors: list[BaseException] = []

    def client(n: int) -> None:
        try:
            for i in range(ORDERS_PER_THREAD):
                cmd = orders.PlaceOrder(
                    f"T{n}-{i}", "key" if i % 5 == 0 else "acme",
                    [orders.LineIn("1", "COAT", 1 + (i % 2), "WEB")],
                )
                result = run(store, orders.place_order, cmd)
                assert result.ok, result
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors

    demanded = sum(1 + (i % 2) for i in range(ORDERS_PER_THREAD)) * THREADS
    with store.unit_of_work(write=False) as uow:
        figures = availability(uow.position("COAT", "WEB"))
    assert figures["on_hand"] == STOCK
    assert figures["allocated"] == STOCK
    assert figures["backordered"] == demanded - STOCK
    assert figures["available_now"] == 0
    checked, findings = check_store(store)
    assert checked == 1
    assert findings == []
    store.dispose()
