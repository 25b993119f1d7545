"""Small helpers for driving the service layer in tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from earmark.service import master, supply
from earmark.service.results import Result
from earmark.service.uow import Store


def run(store: Store, handler: Any, cmd: Any) -> Result:
    with store.unit_of_work() as uow:
        result: Result = handler(uow, cmd)
        return result


def seed(store: Store, *, sku: str = "COAT", location: str = "WEB", on_hand: int = 0,
         accounts: dict[str, int] | None = None, lead_time_days: int | None = None) -> None:
    run(store, master.upsert_item, master.UpsertItem(sku, sku.title(), lead_time_days=lead_time_days))
    run(store, master.upsert_location, master.UpsertLocation(location, location.title()))
    for account, priority in (accounts or {"acme": 100}).items():
        run(store, master.upsert_account, master.UpsertAccount(account, account.title(), priority))
    if on_hand:
        assert run(store, supply.adjust, supply.Adjust(sku, location, on_hand, "initial")).ok


def make_late(store: Store, receipt_id: str, expected_date: date) -> None:
    """Date an open receipt in the past, as if the days since its expected
    date had passed (a receipt cannot be created or moved into the past).
    The position's version moves so that no kept copy of it is trusted."""
    from sqlalchemy import select, update

    from earmark.store import tables as t

    with store.engine.begin() as tx:
        sku, location = tx.execute(select(t.receipts.c.sku, t.receipts.c.location).where(
            t.receipts.c.id == receipt_id)).one()
        tx.execute(update(t.receipts).where(t.receipts.c.id == receipt_id)
                   .values(expected_date=expected_date))
        tx.execute(update(t.positions).where(t.positions.c.sku == sku,
                                             t.positions.c.location == location)
                   .values(version=t.positions.c.version + 1))
    store.forget_kept_positions()
