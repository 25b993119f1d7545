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


def export_rows(uow: UnitOfWork, kind: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """The columns and rows of an export, the rows read as they are written
    (:mod:`earmark.service.exports`); the reports in the configured currency."""
    from earmark.service import exports

    if kind == "reports":
        from earmark.settings import Settings

        return exports.report_rows(uow, Settings().currency)
    return exports.export_rows(uow, kind)


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
