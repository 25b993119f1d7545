"""``earmark import KIND FILE`` and ``earmark export KIND``: data in and out
as files (CSV; exports also as Parquet for data tools). Every importable
kind exports with the columns its import reads, so an export imports back
with nothing changed (:mod:`earmark.cli.imports` says how)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from earmark.cli.common import DatabaseOption, fail, open_store

if TYPE_CHECKING:
    from earmark.service.uow import UnitOfWork

ImportKind = Literal["items", "locations", "accounts", "stock", "receipts", "orders",
                     "commitments", "history"]
ExportKind = Literal["items", "locations", "accounts", "stock", "receipts", "orders",
                     "commitments", "history", "positions", "events", "reports"]
StockMode = Literal["set", "add"]


ROWS_TOLD_MAX = 200
"""Refused rows an import lists; past them it says how many more there are."""


def import_csv(
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds.", show_default=False)],
    file: Annotated[Path, typer.Argument(help="The CSV file (UTF-8, a header line first).",
                                         show_default=False)],
    mode: Annotated[StockMode | None, typer.Option(
        help="Stock only: set (the figures are counts: on-hand becomes each figure, recorded "
        "as count adjustments) or add (the figures are added: initial stock, goods "
        "received). Default: set for the header of `earmark export stock` "
        "(sku,location,on_hand); other stock files must say.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print what would change; change nothing.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Import a CSV file of one kind, all or nothing: the database is made to say
    what the file says, through the same commands as the API.

    Rows that already hold change nothing, so an export imports back with nothing
    changed; the same file (by content) is never applied twice. Columns: those of
    `earmark export KIND` (history: date,sku,location,quantity).

    Example: earmark import stock counts.csv --mode set --dry-run
    Example: earmark import receipts receipts.csv
    """
    from earmark.cli import imports

    store = open_store(database)
    try:
        read = imports.read_csv(file)
        done = imports.import_file(store, kind, read, mode, dry_run=dry_run)
    except imports.ImportRefused as refused:
        if len(refused.rows) == 1:
            fail(f"{file}: {refused}; nothing was imported")
        fail(f"{file}: {len(refused.rows)} rows refused; nothing was imported\n" + "\n".join(
            f"  line {line}: {message}" for line, message in refused.rows[:ROWS_TOLD_MAX])
            + (f"\n  ... and {len(refused.rows) - ROWS_TOLD_MAX} more"
               if len(refused.rows) > ROWS_TOLD_MAX else ""))
    finally:
        store.dispose()
    if isinstance(done, imports.Earlier):
        typer.echo(f"{file} was imported already (the same content, as {done.kind}, on "
                   f"{done.at:%Y-%m-%d %H:%M} UTC, event {done.event_id}); nothing changed")
        return
    plan = done
    for step in plan.steps if dry_run else []:
        typer.echo(f"line {step.line}: {step.says}")
    mode_says = f" --mode {plan.mode}" if plan.mode else ""
    verb = "would change" if dry_run else "changed"
    typer.echo(f"{kind}{mode_says} from {file}: {plan.rows} row(s); {verb} "
               f"{len(plan.steps)}, {plan.unchanged} unchanged"
               + ("; nothing was changed (dry run)" if dry_run else ""))


# Export


def _table_rows(uow: UnitOfWork, table_name: str, columns: list[str],
                order: list[str]) -> Iterator[dict[str, Any]]:
    from sqlalchemy import select

    from earmark.store import tables as t

    table = t.metadata.tables[table_name]
    query = select(*[table.c[c] for c in columns]).order_by(*[table.c[c] for c in order])
    # Streamed from the server (PostgreSQL), a thousand rows at a time.
    rows = uow.tx.execution_options(yield_per=EXPORT_PAGE).execute(query).mappings()
    return (dict(r) for r in rows)


def _every(read: Any, cursors: Any) -> Iterator[dict[str, Any]]:
    """Every item of a paged list, page by page."""
    key = None
    while True:
        found = read(key)
        yield from found["items"]
        if not found["next_cursor"]:
            return
        key = cursors.decode(found["next_cursor"])


ORDER_COLUMNS = ["order", "account", "line", "sku", "location", "quantity", "requested_date",
                 "backorder", "allocated", "backordered", "shipped", "cancelled",
                 "promised_date", "queue_position", "status", "unit_price"]
POSITION_COLUMNS = ["sku", "location", "on_hand", "allocated", "committed", "backordered",
                    "incoming", "safety_stock", "available_now", "safety_stock_short"]
EXPORT_PAGE = 1000


def export_rows(uow: UnitOfWork, kind: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """The columns and rows of an export, the rows read as they are written
    (orders and events page by page, positions one at a time)."""
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
        from earmark.service import queries

        orders = _every(lambda key: queries.list_orders(uow.tx, uow.today, None, None, key,
                                                        EXPORT_PAGE), queries.ORDERS.cursors)
        return ORDER_COLUMNS, ({"order": o["id"], "account": o["account"], **line}
                               for o in orders for line in o["lines"])
    if kind == "positions":
        return POSITION_COLUMNS, _positions(uow)
    if kind == "reports":
        return _reports(uow)
    from earmark.service import queries

    events = _every(lambda key: queries.list_events(uow.tx, key[0] if key else 0, None,
                                                    EXPORT_PAGE), queries.EVENTS.cursors)
    return ["id", "type", "at", "data"], events


def _positions(uow: UnitOfWork) -> Iterator[dict[str, Any]]:
    from sqlalchemy import select

    from earmark.service import queries
    from earmark.store import tables as t

    p = t.positions.c
    keys = uow.tx.execute(select(p.sku, p.location).order_by(p.sku, p.location)).all()
    for n, (sku, location) in enumerate(keys, start=1):
        yield queries.availability(uow.position(sku, location))
        if n % EXPORT_PAGE == 0:
            uow.forget_positions()  # what was exported need not stay loaded


REPORT_KINDS = ("capital", "service")


def _reports(uow: UnitOfWork) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """Both reports as one table: the capital report's rows (per position and
    the total), then the service report's (per account and everyone, over the
    default window), each named in the column ``report``."""
    from earmark.service import report_tables
    from earmark.service.capital import capital_report
    from earmark.service.service_levels import Scope, default_window, service_report
    from earmark.settings import Settings

    capital = report_tables.capital_table(
        capital_report(uow.tx, uow.today, Settings().currency))
    service = report_tables.service_table(
        service_report(uow.tx, uow.today, Scope(*default_window(uow.today, None, None))))
    columns = ["report", *capital[0], *(c for c in service[0] if c not in capital[0])]
    rows = [{"report": name, **dict(zip(head, row, strict=True))}
            for name, (head, body) in zip(REPORT_KINDS, (capital, service), strict=True)
            for row in body]
    return columns, iter(rows)


def export(
    kind: Annotated[ExportKind, typer.Argument(help="What to export.", show_default=False)],
    out: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
    format: Annotated[Literal["csv", "parquet"], typer.Option(
        help="csv, or parquet for data tools (needs --out and pyarrow: "
             "pip install 'earmark[parquet]').")] = "csv",
    database: DatabaseOption = None,
) -> None:
    """Export a kind of data. items, locations, accounts, stock, receipts, orders
    (a row per line), commitments and history import back as they are
    (`earmark import KIND FILE` changes nothing); positions (the figures of
    each), events and reports (the capital and service reports, as `GET
    /v1/reports/...` answer them in CSV) are for reading. Rows are written as
    they are read: memory does not grow with the number of rows.

    Example: earmark export orders --out orders.csv
    Example: earmark export events --format parquet --out events.parquet
    """
    from earmark.cli.export_files import ParquetMissing, write_csv, write_parquet

    if format == "parquet" and out is None:
        fail("--format parquet writes a file: say --out PATH", 2)
    store = open_store(database)
    try:
        with store.unit_of_work(write=False) as uow:
            columns, rows = export_rows(uow, kind)
            if out is None:
                write_csv(sys.stdout, columns, rows)
                return
            if format == "parquet":
                try:
                    count = write_parquet(out, columns, rows)
                except ParquetMissing as missing:
                    fail(str(missing), 2)
            else:
                with open(out, "w", newline="", encoding="utf-8") as handle:
                    count = write_csv(handle, columns, rows)
    finally:
        store.dispose()
    typer.echo(f"wrote {count} {kind} row(s) to {out}", err=True)
