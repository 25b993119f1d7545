"""Migration 0014 on a database that already has history: each existing line
gets its current promised date as its first, its order's day, the units its
placing held (from the placing's own ``order.allocated`` events), and each
shipment of the stock ledger becomes a dated shipment row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, insert, select

from earmark.store import db
from earmark.store import tables as t

PLACED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 1, 6, 10, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = db.make_engine(database_url)
    yield made
    made.dispose()


def _upgrade(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location",
                           str(Path(db.__file__).parent / "migrations"))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        if connection.in_transaction():
            connection.commit()


def _history_at_0013(engine: Engine) -> None:
    """SO-1 (acme) ordered 5 COAT at WEB on 01-05: 3 held at once, 1 more held
    later, 1 shipped on 01-06. Of the 4 open: 2 held (today), 1 pegged to PO-1
    (01-20), 1 with no supply (today + 14 days lead time = 01-19)."""
    with engine.begin() as tx:
        tx.execute(insert(t.clock).values(name="frozen_today", day=date(2026, 1, 5)))
        tx.execute(insert(t.items).values(sku="COAT", name="Coat", unit="each", unit_cost="10.00",
                                          lead_time_days=14, backorders="allow", safety_stock=0,
                                          created_at=PLACED, updated_at=PLACED))
        tx.execute(insert(t.receipts).values(
            id="PO-1", sku="COAT", location="WEB", quantity=1, received=0,
            expected_date=date(2026, 1, 20), source="purchase", status="open", seq=1, request={},
            created_at=PLACED, updated_at=PLACED, pegged=1))
        tx.execute(insert(t.orders).values(id="SO-1", account="acme", status="open", seq=1,
                                           request={}, created_at=PLACED, updated_at=PLACED,
                                           ordered_on=date(2026, 1, 5)))
        tx.execute(insert(t.order_lines).values(
            order_id="SO-1", line="1", sku="COAT", location="WEB", idx=0, account="acme", seq=1,
            quantity=5, shipped=1, cancelled=0, allocated=2, requested_date=date(2026, 1, 5),
            backorder="allow", open=4, ship_to=None, split=False, transit_days=0))
        for bucket, units in (("", 2), ("PO-1", 1)):
            tx.execute(insert(t.pegs).values(sku="COAT", location="WEB", demand_kind="line",
                                             demand_ref="SO-1", demand_line="1", bucket=bucket,
                                             quantity=units))
        for at, units in ((PLACED, 3), (LATER, 1)):
            tx.execute(insert(t.events).values(type="order.allocated", at=at, data={
                "order": "SO-1", "line": "1", "sku": "COAT", "location": "WEB", "quantity": units}))
        tx.execute(insert(t.stock_ledger).values(sku="COAT", location="WEB", quantity=-1,
                                                 reason="shipment", ref="SO-1/1", note=None,
                                                 at=LATER))


def test_existing_lines_get_their_current_promised_date_as_the_first(engine: Engine) -> None:
    _upgrade(engine, "0013")
    _history_at_0013(engine)
    _upgrade(engine, "head")
    with engine.connect() as tx:
        line = tx.execute(select(t.order_lines)).mappings().one()
        shipments = tx.execute(select(t.shipments)).mappings().all()
        days = tx.execute(select(t.events.c.day).order_by(t.events.c.id)).scalars().all()
    assert (line["first_promised_date"], line["ordered_on"], line["held_at_order"]) == (
        date(2026, 1, 20), date(2026, 1, 5), 3)
    assert [(s["order_id"], s["line"], s["account"], s["quantity"], s["shipped_on"],
             s["first_promised_date"]) for s in shipments] == [
        ("SO-1", "1", "acme", 1, date(2026, 1, 6), date(2026, 1, 20))]
    assert days == [date(2026, 1, 5), date(2026, 1, 6)]
