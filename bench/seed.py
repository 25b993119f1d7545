"""Seeding benchmark data fast: direct bulk inserts into earmark's tables.

Every state written here is a valid *rest* state (DESIGN.md): on-hand
equals the stock ledger, every open unit is pegged exactly once or waiting,
no free unit could serve a waiting unit or make a pegged one earlier, and
``order_lines.allocated`` equals the units pegged to on-hand. The scenarios
run ``check_store`` on the result, so a seed that broke an invariant would
show up as a finding, not as a flattering figure.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from earmark.service.uow import Store
from earmark.store import tables as t

TODAY = date(2026, 1, 5)
LOCATION = "WH"
ACCOUNT = "acme"
ROWS_PER_INSERT = 5000


def _now() -> datetime:
    return datetime.now(UTC)


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), ROWS_PER_INSERT):
        yield rows[start:start + ROWS_PER_INSERT]


def bulk(tx: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        tx.execute(insert(table), chunk)


def items(tx: Connection, skus: list[str], *, lead_time_days: int | None = None) -> None:
    now = _now()
    bulk(tx, t.items, [
        {"sku": sku, "name": sku, "unit": "each", "unit_cost": None,
         "lead_time_days": lead_time_days, "backorders": "allow", "safety_stock": 0,
         "created_at": now, "updated_at": now}
        for sku in skus
    ])


def master_data(tx: Connection, skus: list[str], *, lead_time_days: int | None = None) -> None:
    """The items, the one location and the one account every scenario uses."""
    now = _now()
    items(tx, skus, lead_time_days=lead_time_days)
    tx.execute(insert(t.locations).values(code=LOCATION, name="Warehouse", created_at=now,
                                          updated_at=now))
    tx.execute(insert(t.accounts).values(id=ACCOUNT, name="Acme", priority=100, created_at=now,
                                         updated_at=now))


def stock(tx: Connection, on_hand: dict[str, int]) -> None:
    """Positions with their on-hand, and one ledger entry each that says so."""
    now = _now()
    bulk(tx, t.positions, [{"sku": sku, "location": LOCATION, "on_hand": n}
                           for sku, n in on_hand.items()])
    bulk(tx, t.stock_ledger, [
        {"sku": sku, "location": LOCATION, "quantity": n, "reason": "initial", "ref": None,
         "note": "bench seed", "at": now}
        for sku, n in on_hand.items() if n
    ])


def _counter(tx: Connection, name: str, value: int) -> None:
    tx.execute(insert(t.counters).values(name=name, value=value))


def _order_rows(sku: str, count: int, prefix: str) -> tuple[list[dict[str, Any]],
                                                             list[dict[str, Any]]]:
    """``count`` one-unit, one-line orders for ``sku``, arriving in id order."""
    now = _now()
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for n in range(1, count + 1):
        order_id = f"{prefix}{n:07d}"
        request = {"account": ACCOUNT, "lines": [
            {"line": "1", "sku": sku, "quantity": 1, "location": LOCATION,
             "requested_date": None, "backorder": None}]}
        orders.append({"id": order_id, "account": ACCOUNT, "status": "open", "seq": n,
                       "request": request, "created_at": now, "updated_at": now})
        lines.append({"order_id": order_id, "line": "1", "sku": sku, "location": LOCATION,
                      "idx": 0, "account": ACCOUNT, "seq": n, "quantity": 1, "shipped": 0,
                      "cancelled": 0, "allocated": 0, "requested_date": TODAY,
                      "backorder": "allow", "open": 1})
    return orders, lines


def hot_sku(store: Store, sku: str, on_hand: int) -> None:
    """One item with ``on_hand`` units and no demand (scenarios a and c)."""
    with store.engine.begin() as tx:
        master_data(tx, [sku])
        stock(tx, {sku: on_hand})


def spread(store: Store, skus: list[str], on_hand: int) -> None:
    """Many items, each with ``on_hand`` units and no demand (scenario b)."""
    with store.engine.begin() as tx:
        master_data(tx, skus)
        stock(tx, dict.fromkeys(skus, on_hand))


def waiting_backorders(store: Store, sku: str, count: int, *, lead_time_days: int) -> None:
    """``count`` one-unit lines waiting on a position with nothing on hand and
    no receipt: nothing is free, so nothing could serve them (scenarios d and q)."""
    orders, lines = _order_rows(sku, count, "D")
    with store.engine.begin() as tx:
        master_data(tx, [sku], lead_time_days=lead_time_days)
        stock(tx, {sku: 0})
        bulk(tx, t.orders, orders)
        bulk(tx, t.order_lines, lines)
        _counter(tx, "demand", count)


def pegged_position(store: Store, sku: str, *, receipts: int, demands: int,
                    free_units: int, lead_time_days: int) -> None:
    """A position with ``receipts`` open receipts, fully pegged by ``demands``
    one-unit lines in arrival order, and ``free_units`` more on the last
    receipt (scenario e).

    Lines all need today and share one priority, so rule 1 pegs them in
    arrival order to the earliest receipt with room, which is exactly what
    is written: line n to receipt ceil(n / per_receipt). The free units sit
    on the latest receipt, so none could make a pegged unit earlier: a rest
    state."""
    if demands % receipts:
        raise ValueError("demands must be a multiple of receipts")
    per_receipt = demands // receipts
    now = _now()
    receipt_rows: list[dict[str, Any]] = []
    for r in range(1, receipts + 1):
        quantity = per_receipt + (free_units if r == receipts else 0)
        expected = TODAY + timedelta(days=1 + r // 50)
        request = {"sku": sku, "location": LOCATION, "quantity": quantity,
                   "expected_date": expected.isoformat(), "source": "purchase"}
        receipt_rows.append({"id": f"R{r:06d}", "sku": sku, "location": LOCATION,
                             "quantity": quantity, "received": 0, "expected_date": expected,
                             "source": "purchase", "status": "open", "seq": r,
                             "request": request, "created_at": now, "updated_at": now,
                             "pegged": per_receipt})
    orders, lines = _order_rows(sku, demands, "E")
    pegs = [
        {"sku": sku, "location": LOCATION, "demand_kind": "line", "demand_ref": line["order_id"],
         "demand_line": "1", "bucket": f"R{(n // per_receipt) + 1:06d}", "quantity": 1}
        for n, line in enumerate(lines)
    ]
    with store.engine.begin() as tx:
        master_data(tx, [sku], lead_time_days=lead_time_days)
        stock(tx, {sku: 0})
        bulk(tx, t.receipts, receipt_rows)
        bulk(tx, t.orders, orders)
        bulk(tx, t.order_lines, lines)
        bulk(tx, t.pegs, pegs)
        _counter(tx, "demand", demands)
        _counter(tx, "receipt", receipts)
