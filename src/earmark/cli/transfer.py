"""``earmark import`` and ``earmark export``."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select

from earmark.cli import imports
from earmark.cli.common import DatabaseOption, open_store
from earmark.store import tables as t

console = Console()


def import_csv(
    file: Annotated[Path, typer.Argument(
        metavar="KIND_OR_FILE", help="The CSV file, or its kind followed by the file "
        "(earmark import history demand.csv).", show_default=False)],
    then: Annotated[Path | None, typer.Argument(metavar="FILE", show_default=False,
                                                help="The file, after its kind.")] = None,
    kind: Annotated[str | None, typer.Option(help="items, stock, receipts, orders or history "
                                             "(default: told by the columns)")] = None,
    database: DatabaseOption = None,
) -> None:
    """Import items, stock, receipts, orders or demand history from a CSV file, all or nothing.

    History (date,sku,location,quantity: daily demand) adds up a day's rows and replaces that day.

    Example: earmark import receipts.csv   (columns id,sku,location,quantity,expected_date)
    Example: earmark import history demand.csv   (columns date,sku,location,quantity)
    """
    if then is not None:
        named = str(file)
        if kind is not None and kind != named:
            console.print(f"[red]the kind is {named!r} or {kind!r}, not both[/red]")
            raise typer.Exit(2)
        kind, file = named, then
    if kind is not None and kind not in imports.KINDS:
        console.print(f"[red]unknown kind {kind!r}[/red]; choose from {', '.join(imports.KINDS)}")
        raise typer.Exit(2)
    store = open_store(database)
    try:
        found, steps = imports.read_csv(str(file), kind)
        with Progress(console=console) as progress:
            task = progress.add_task(f"importing {found}", total=len(steps))
            count = imports.apply(store, steps, lambda n: progress.update(task, completed=n))
    except imports.ImportError_ as error:
        console.print(f"[red]{file}: {error}[/red]; nothing was imported")
        raise typer.Exit(1) from error
    finally:
        store.dispose()
    if found == "history":
        count = sum(len(step.command.rows) for step in steps)  # one command for the file
    console.print(f"[green]imported {count} {found} row(s)[/green]")


EXPORTS = {
    "items": (t.items, ["sku", "name", "unit", "unit_cost", "lead_time_days", "backorders",
                        "safety_stock"], "sku"),
    "locations": (t.locations, ["code", "name"], "code"),
    "accounts": (t.accounts, ["id", "name", "priority"], "id"),
    "stock": (t.positions, ["sku", "location", "on_hand"], "sku"),
    "receipts": (t.receipts, ["id", "sku", "location", "quantity", "received", "expected_date",
                              "source", "status"], "seq"),
    "order_lines": (t.order_lines, ["order_id", "line", "account", "sku", "location", "quantity",
                                    "allocated", "shipped", "cancelled", "requested_date",
                                    "backorder"], "seq"),
    "commitments": (t.commitments, ["id", "account", "sku", "location", "quantity", "consumed",
                                    "released", "need_date", "expires_on", "kind", "mode",
                                    "status"], "seq"),
}


def export(
    what: Annotated[str, typer.Argument(help="one of: " + ", ".join(EXPORTS))] = "stock",
    out: Annotated[Path | None, typer.Option(help="file to write (default: stdout)")] = None,
    database: DatabaseOption = None,
) -> None:
    """Export a table as CSV.

    Example: earmark export receipts --out receipts.csv
    """
    if what not in EXPORTS:
        console.print(f"[red]unknown export {what!r}[/red]; choose from {', '.join(EXPORTS)}")
        raise typer.Exit(2)
    table, columns, order = EXPORTS[what]
    store = open_store(database)
    with store.unit_of_work(write=False) as uow:
        rows = uow.tx.execute(select(*[table.c[c] for c in columns]).order_by(table.c[order])).all()
    store.dispose()
    # Stock exports as the import reads it: an opening quantity per position.
    header = ["quantity" if what == "stock" and c == "on_hand" else c for c in columns]
    if out is None:
        _write(sys.stdout, header, rows)
        return
    with open(out, "w", newline="", encoding="utf-8") as handle:
        _write(handle, header, rows)
    console.print(f"[green]wrote {len(rows)} row(s) to {out}[/green]")


def _write(handle: TextIO, header: list[str], rows: Sequence[Sequence[object]]) -> None:
    writer = csv.writer(handle)
    writer.writerow(header)
    writer.writerows(rows)
