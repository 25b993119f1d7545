"""What ``earmark export KIND`` writes: the columns and rows of each kind,
read as they are written (tables streamed, orders and events page by page,
positions one at a time), so memory does not grow with the number of rows.

Every importable kind exports with the columns its import reads
(:mod:`earmark.cli.imports`), so an export imports back with nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select

from earmark.service import queries, report_tables
from earmark.service.capital import capital_report
from earmark.service.pages import Key
from earmark.service.service_levels import Scope, default_window, service_report
from earmark.service.uow import UnitOfWork
from earmark.store import tables as t

ORDER_COLUMNS = ["order", "account", "line", "sku", "location", "quantity", "requested_date",
                 "backorder", "allocated", "backordered", "shipped", "cancelled",
                 "promised_date", "queue_position", "status", "unit_price"]
POSITION_COLUMNS = ["sku", "location", "on_hand", "allocated", "committed", "backordered",
                    "incoming", "safety_stock", "available_now", "safety_stock_short"]
EXPORT_PAGE = 1000
"""Rows read at a time: a page of orders or events, a batch of a streamed table."""
REPORT_KINDS = ("capital", "service")


def _table_rows(uow: UnitOfWork, table_name: str, columns: list[str],
                order: list[str]) -> Iterator[dict[str, Any]]:
    table = t.metadata.tables[table_name]
    query = select(*[table.c[c] for c in columns]).order_by(*[table.c[c] for c in order])
    # Streamed from the server (PostgreSQL), a thousand rows at a time.
    rows = uow.tx.execution_options(yield_per=EXPORT_PAGE).execute(query).mappings()
    return (dict(r) for r in rows)


def _every(read: Callable[[Key | None], dict[str, Any]], cursors: Any) -> Iterator[dict[str, Any]]:
    """Every item of a paged list, page by page."""
    key = None
    while True:
        found = read(key)
        yield from found["items"]
        if not found["next_cursor"]:
            return
        key = cursors.decode(found["next_cursor"])


def export_rows(uow: UnitOfWork, kind: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """The columns and rows of an export of ``kind`` (any but ``reports``:
    :func:`report_rows`)."""
    if kind == "items":
        cols = ["sku", "name", "unit", "unit_cost", "lead_time_days", "backorders",
                "safety_stock", "unit_price"]
        return cols, _table_rows(uow, "items", cols, ["sku"])
    if kind == "locations":
        return ["code", "name"], _table_rows(uow, "locations", ["code", "name"], ["code"])
    if kind == "accounts":
        cols = ["id", "name", "priority"]
        return cols, _table_rows(uow, "accounts", cols, ["id"])
    if kind == "stock":
        cols = ["sku", "location", "on_hand"]
        return cols, _table_rows(uow, "positions", cols, ["sku", "location"])
    if kind == "receipts":
        cols = ["id", "sku", "location", "quantity", "received", "expected_date", "source",
                "status", "supplier"]
        return cols, _table_rows(uow, "receipts", cols, ["seq", "id"])
    if kind == "commitments":
        cols = ["id", "account", "sku", "location", "quantity", "need_date", "expires_on",
                "kind", "mode", "released", "consumed", "status"]
        return cols, _table_rows(uow, "commitments", cols, ["seq", "id"])
    if kind == "history":
        rows = _table_rows(uow, "demand_history", ["day", "sku", "location", "quantity"],
                           ["sku", "location", "day"])
        return ["date", "sku", "location", "quantity"], (
            {"date": r.pop("day"), **r} for r in rows)
    if kind == "orders":
        orders = _every(lambda key: queries.list_orders(uow.tx, uow.today, None, None, key,
                                                        EXPORT_PAGE), queries.ORDERS.cursors)
        return ORDER_COLUMNS, ({"order": o["id"], "account": o["account"], **line}
                               for o in orders for line in o["lines"])
    if kind == "positions":
        return POSITION_COLUMNS, _positions(uow)
    events = _every(lambda key: queries.list_events(uow.tx, key[0] if key else 0, None,
                                                    EXPORT_PAGE), queries.EVENTS.cursors)
    return ["id", "type", "at", "data"], events


def _positions(uow: UnitOfWork) -> Iterator[dict[str, Any]]:
    p = t.positions.c
    keys = uow.tx.execute(select(p.sku, p.location).order_by(p.sku, p.location)).all()
    for n, (sku, location) in enumerate(keys, start=1):
        yield queries.availability(uow.position(sku, location))
        if n % EXPORT_PAGE == 0:
            uow.forget_positions()  # what was exported need not stay loaded


def report_rows(uow: UnitOfWork, currency: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """Both reports as one table: the capital report's rows (per position and
    the total, in ``currency``), then the service report's (per account and
    everyone, over the default window), each named in the column ``report``."""
    capital = report_tables.capital_table(capital_report(uow.tx, uow.today, currency))
    service = report_tables.service_table(
        service_report(uow.tx, uow.today, Scope(*default_window(uow.today, None, None))))
    columns = ["report", *capital[0], *(c for c in service[0] if c not in capital[0])]
    rows = [{"report": name, **dict(zip(head, row, strict=True))}
            for name, (head, body) in zip(REPORT_KINDS, (capital, service), strict=True)
            for row in body]
    return columns, iter(rows)
