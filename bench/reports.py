"""Scenario r: the capital and service reports on a big history, PostgreSQL
(or SQLite) — API.md "Money and service reports", issue 15's budget of one
second per report.

The data is bulk-inserted (COPY on PostgreSQL), not placed order by order:
10,000 skus × 3 locations with on-hand, cost and price; 1,000,000 order
lines over the 180 days before today, closed and shipped (each with its
shipment), but for 20,000 still waiting (half pegged to a receipt); 10,000
open receipts. Each report is read three times, each time in a read-only
unit of work of its own, as ``GET /v1/reports/...`` runs it; the line is the
slowest of the two reports at its best of three.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bench import seed
from earmark.service.capital import capital_report
from earmark.service.clock import Clock
from earmark.service.service_levels import Scope, default_window, service_report
from earmark.service.uow import Store
from earmark.store import db
from earmark.store import tables as t

SKUS = 10_000
LOCATIONS = ("EAST", "WEST", "SOUTH")
LINES = 1_000_000
WAITING = 20_000
RECEIPTS = 10_000
HISTORY_DAYS = 180
ACCOUNTS = 50
TODAY = date(2026, 6, 1)
ROWS_PER_COPY = 100_000
READS = 3


@dataclass(frozen=True)
class ReportsResult:
    capital_ms: float
    service_ms: float
    seed_s: float


def _copy(store: Store, table: Any, rows: list[dict[str, Any]]) -> None:
    with store.engine.begin() as tx:
        for start in range(0, len(rows), ROWS_PER_COPY):
            db.insert_rows(tx, table, rows[start:start + ROWS_PER_COPY])


def seed_history(store: Store) -> None:
    rng = random.Random(15)
    now = seed._now()
    skus = [f"SKU-{n:05d}" for n in range(SKUS)]
    _copy(store, t.items, [
        {"sku": sku, "name": sku, "unit": "each", "unit_cost": f"{rng.randint(100, 99_999) / 100:.2f}",
         "unit_price": f"{rng.randint(100, 199_999) / 100:.2f}", "lead_time_days": 14,
         "backorders": "allow", "safety_stock": 5, "created_at": now, "updated_at": now}
        for sku in skus])
    _copy(store, t.locations, [{"code": code, "name": code, "created_at": now, "updated_at": now}
                               for code in LOCATIONS])
    _copy(store, t.accounts, [{"id": f"A{n}", "name": f"A{n}", "priority": 100, "created_at": now,
                               "updated_at": now} for n in range(ACCOUNTS)])
    _copy(store, t.positions, [{"sku": sku, "location": loc, "on_hand": rng.randint(0, 500),
                                "version": 0, "held": 0} for sku in skus for loc in LOCATIONS])
    _copy(store, t.receipts, [
        {"id": f"PO-{n}", "sku": skus[n % SKUS], "location": LOCATIONS[n % 3], "quantity": 100,
         "received": 0, "expected_date": TODAY + timedelta(days=1 + n % 60), "source": "purchase",
         "status": "open", "seq": n, "request": {}, "created_at": now, "updated_at": now,
         "pegged": 0} for n in range(RECEIPTS)])
    _lines_and_shipments(store, rng, skus, now)


def _lines_and_shipments(store: Store, rng: random.Random, skus: list[str], now: Any) -> None:
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    shipments: list[dict[str, Any]] = []
    pegs: list[dict[str, Any]] = []
    # Orders arrive in time order, as a real history is written: the oldest first.
    days = sorted(TODAY - timedelta(days=rng.randrange(HISTORY_DAYS)) for _ in range(LINES))
    for n in range(LINES):
        oid, sku, loc = f"SO-{n}", skus[rng.randrange(SKUS)], LOCATIONS[n % 3]
        day = days[n]
        quantity = rng.randint(1, 20)
        held = quantity if rng.random() < 0.8 else rng.randint(0, quantity)
        promised = day + timedelta(days=0 if held == quantity else rng.randint(3, 21))
        waiting = n >= LINES - WAITING  # the latest orders are those still waiting
        account = f"A{n % ACCOUNTS}"
        orders.append({"id": oid, "account": account, "status": "open" if waiting else "closed",
                       "seq": n, "request": {}, "created_at": now, "updated_at": now,
                       "ordered_on": day})
        lines.append({"order_id": oid, "line": "1", "sku": sku, "location": loc, "idx": 0,
                      "account": account, "seq": n, "quantity": quantity,
                      "shipped": 0 if waiting else quantity, "cancelled": 0, "allocated": 0,
                      "requested_date": day, "backorder": "allow", "open": quantity if waiting else 0,
                      "ship_to": None, "split": False, "transit_days": 0, "unit_price": None,
                      "first_promised_date": promised, "ordered_on": day, "held_at_order": held})
        if waiting and n % 2 == 0:
            pegs.append({"sku": sku, "location": loc, "demand_kind": "line", "demand_ref": oid,
                         "demand_line": "1", "bucket": f"PO-{n % RECEIPTS}", "quantity": quantity})
        elif not waiting:
            shipped_on = min(TODAY, promised + timedelta(days=rng.randint(-2, 5)))
            shipments.append({"sku": sku, "location": loc, "order_id": oid, "line": "1",
                              "account": account, "quantity": quantity, "shipped_on": shipped_on,
                              "first_promised_date": promised})
    _copy(store, t.orders, orders)
    _copy(store, t.order_lines, lines)
    shipments.sort(key=lambda row: row["shipped_on"])
    _copy(store, t.shipments, shipments)
    _copy(store, t.pegs, pegs)


def _best_ms(store: Store, read: Any) -> float:
    times = []
    for _ in range(READS):
        started = time.perf_counter()
        with store.unit_of_work(write=False) as uow:
            read(uow)
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def reports(url: str) -> ReportsResult:
    store = Store(url, Clock(frozen=TODAY))
    try:
        store.upgrade()
        started = time.perf_counter()
        seed_history(store)
        seed_s = time.perf_counter() - started
        if store.dialect == "postgresql":
            # What autovacuum does to a table that has grown: statistics, and
            # the visibility map that index-only scans read.
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")
        capital_ms = _best_ms(store, lambda uow: capital_report(uow.tx, uow.today, "USD"))
        service_ms = _best_ms(store, lambda uow: service_report(
            uow.tx, uow.today, Scope(*default_window(uow.today, None, None))))
        return ReportsResult(capital_ms, service_ms, seed_s)
    finally:
        store.dispose()
