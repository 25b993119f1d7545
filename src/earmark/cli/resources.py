"""CLI commands over the same handlers as the HTTP API."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from earmark.cli.common import DatabaseOption, open_store
from earmark.domain.backorder import BackorderPolicy
from earmark.service import commitments as cm
from earmark.service import master, network, orders, queries, supply
from earmark.service.results import Result
from earmark.service.uow import Store

console = Console()

items_app = typer.Typer(help="Items (skus).", no_args_is_help=True)
locations_app = typer.Typer(help="Locations.", no_args_is_help=True)
accounts_app = typer.Typer(help="Accounts (customers) and their priority.", no_args_is_help=True)
receipts_app = typer.Typer(help="Receipts: incoming supply.", no_args_is_help=True)
orders_app = typer.Typer(help="Orders.", no_args_is_help=True)
commitments_app = typer.Typer(help="Commitments (earmarks).", no_args_is_help=True)
lanes_app = typer.Typer(help="Lanes: stock at one location reaches another in some days.",
                        no_args_is_help=True)


def _run(store: Store, handler: Any, cmd: Any) -> Result:
    with store.unit_of_work() as uow:
        result: Result = handler(uow, cmd)
    return result


def _report(result: Result) -> None:
    if not result.ok:
        console.print(f"[red]{result.outcome.value}[/red]: {result.detail}")
        for name, value in result.extra.items():
            console.print(f"  {name}: {value}")
        raise typer.Exit(1)
    console.print_json(json.dumps(result.value, default=str))


def _table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*["" if row.get(c) is None else str(row.get(c)) for c in columns])
    console.print(table)


def _list(store: Store, table_name: str, columns: list[str], order: str) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from earmark.store import tables as t

    table = t.metadata.tables[table_name]
    with store.unit_of_work(write=False) as uow:
        return [dict(r) for r in uow.tx.execute(
            select(*[table.c[c] for c in columns]).order_by(table.c[order]).limit(1000)
        ).mappings()]


# Items, locations, accounts


@items_app.command("create")
def item_create(
    sku: str, name: str,
    lead_time_days: Annotated[int | None, typer.Option()] = None,
    safety_stock: Annotated[int, typer.Option()] = 0,
    backorders: Annotated[str, typer.Option()] = BackorderPolicy.allow.value,
    unit: Annotated[str, typer.Option()] = "each",
    database: DatabaseOption = None,
) -> None:
    """Create or replace an item.

    Example: earmark items create COAT-XL "Designer coat XL" --lead-time-days 21
    """
    _report(_run(open_store(database), master.upsert_item, master.UpsertItem(
        sku, name, unit, None, lead_time_days, backorders, safety_stock)))


@items_app.command("list")
def item_list(database: DatabaseOption = None) -> None:
    """List items.  Example: earmark items list"""
    cols = ["sku", "name", "unit", "lead_time_days", "safety_stock", "backorders"]
    _table("Items", _list(open_store(database), "items", cols, "sku"), cols)


@locations_app.command("create")
def location_create(code: str, name: str, database: DatabaseOption = None) -> None:
    """Create or rename a location.  Example: earmark locations create WEB "Online store" """
    _report(_run(open_store(database), master.upsert_location, master.UpsertLocation(code, name)))


@locations_app.command("list")
def location_list(database: DatabaseOption = None) -> None:
    """List locations.  Example: earmark locations list"""
    _table("Locations", _list(open_store(database), "locations", ["code", "name"], "code"),
           ["code", "name"])


@accounts_app.command("create")
def account_create(
    account_id: str, name: str, priority: Annotated[int, typer.Option()] = 100,
    database: DatabaseOption = None,
) -> None:
    """Create or replace an account (lower priority is served first).

    Example: earmark accounts create bigdev "Harbor Developments" --priority 10
    """
    _report(_run(open_store(database), master.upsert_account,
                 master.UpsertAccount(account_id, name, priority)))


@accounts_app.command("list")
def account_list(database: DatabaseOption = None) -> None:
    """List accounts.  Example: earmark accounts list"""
    cols = ["id", "name", "priority"]
    _table("Accounts", _list(open_store(database), "accounts", cols, "id"), cols)


# Lanes


@lanes_app.command("set")
def lane_set(origin: str, destination: str, transit_days: int,
             database: DatabaseOption = None) -> None:
    """Create or change the lane FROM -> TO.  Example: earmark lanes set WEB STORE 2"""
    _report(_run(open_store(database), network.set_lane,
                 network.SetLane(origin, destination, transit_days)))


@lanes_app.command("list")
def lane_list(
    origin: Annotated[str | None, typer.Option("--from")] = None,
    destination: Annotated[str | None, typer.Option("--to")] = None,
    database: DatabaseOption = None,
) -> None:
    """List lanes, optionally only those from or to a location.

    Example: earmark lanes list --to STORE
    """
    store = open_store(database)
    with store.unit_of_work(write=False) as uow:
        lanes = network.list_lanes(uow.tx, origin, destination, None, 1000)["items"]
    _table("Lanes", lanes, ["from", "to", "transit_days"])


@lanes_app.command("rm")
def lane_rm(origin: str, destination: str, database: DatabaseOption = None) -> None:
    """Remove the lane FROM -> TO (transfers on it keep their transit).

    Example: earmark lanes rm WEB STORE
    """
    _report(_run(open_store(database), network.remove_lane,
                 network.RemoveLane(origin, destination)))


# Receipts


@receipts_app.command("create")
def receipt_create(
    receipt_id: str, sku: str, location: str, quantity: int, expected_date: str,
    source: Annotated[str, typer.Option()] = "purchase", database: DatabaseOption = None,
) -> None:
    """Record incoming supply.

    Example: earmark receipts create PO-7 COAT-XL WEB 40 2026-03-16
    """
    _report(_run(open_store(database), supply.create_receipt, supply.CreateReceipt(
        receipt_id, sku, location, quantity, date.fromisoformat(expected_date), source)))


@receipts_app.command("receive")
def receipt_receive(
    receipt_id: str, quantity: Annotated[int | None, typer.Option()] = None,
    database: DatabaseOption = None,
) -> None:
    """Receive a receipt (all that is open by default).  Example: earmark receipts receive PO-7"""
    _report(_run(open_store(database), supply.receive_receipt,
                 supply.ReceiveReceipt(receipt_id, quantity)))


@receipts_app.command("list")
def receipt_list(database: DatabaseOption = None) -> None:
    """List receipts.  Example: earmark receipts list"""
    cols = ["id", "sku", "location", "quantity", "received", "expected_date", "status"]
    _table("Receipts", _list(open_store(database), "receipts", cols, "seq"), cols)


# Orders


@orders_app.command("create")
def order_create(
    order_id: str, account: str, sku: str, quantity: int,
    location: Annotated[str | None, typer.Option()] = None,
    requested_date: Annotated[str | None, typer.Option()] = None,
    backorder: Annotated[str | None, typer.Option()] = None,
    database: DatabaseOption = None,
) -> None:
    """Place a one-line order.

    Example: earmark orders create SO-1001 acme COAT-XL 3 --location WEB
    """
    line = orders.LineIn("1", sku, quantity, location,
                         date.fromisoformat(requested_date) if requested_date else None, backorder)
    _report(_run(open_store(database), orders.place_order,
                 orders.PlaceOrder(order_id, account, [line])))


@orders_app.command("list")
def order_list(account: Annotated[str | None, typer.Option()] = None,
               database: DatabaseOption = None) -> None:
    """List orders with their lines.  Example: earmark orders list --account acme"""
    store = open_store(database)
    with store.unit_of_work(write=False) as uow:
        found = queries.list_orders(uow.tx, uow.today, account, None, None, 1000)["items"]
    rows = [{"order": o["id"], "account": o["account"], **ln} for o in found for ln in o["lines"]]
    _table("Order lines", rows, ["order", "account", "line", "sku", "location", "quantity",
                                 "allocated", "backordered", "promised_date", "queue_position",
                                 "status"])


# Commitments


@commitments_app.command("create")
def commitment_create(
    commitment_id: str, account: str, sku: str, location: str, quantity: int, need_date: str,
    expires_on: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[str, typer.Option()] = "contract",
    mode: Annotated[str, typer.Option()] = "strict",
    database: DatabaseOption = None,
) -> None:
    """Earmark supply for an account.

    Example: earmark commitments create C-Q2 bigdev BEAM-W12 YARD 10000 2026-04-01
    """
    _report(_run(open_store(database), cm.create_commitment, cm.CreateCommitment(
        commitment_id, account, sku, location, quantity, date.fromisoformat(need_date),
        date.fromisoformat(expires_on) if expires_on else None, kind, mode)))


@commitments_app.command("list")
def commitment_list(database: DatabaseOption = None) -> None:
    """List commitments.  Example: earmark commitments list"""
    store = open_store(database)
    with store.unit_of_work(write=False) as uow:
        found = queries.list_commitments(uow.tx, uow.today, None, None, None, None, 1000)["items"]
    _table("Commitments", found, ["id", "account", "sku", "location", "quantity", "need_date",
                                  "status", "consumed", "remaining", "confirmed", "promised_date"])


# Availability, backorders, promise


def availability(
    sku: str, location: Annotated[str | None, typer.Option()] = None,
    database: DatabaseOption = None,
) -> None:
    """Show a position with its time-phased ATP.

    Example: earmark availability BEAM-W12 --location YARD
    """
    store = open_store(database)
    with store.unit_of_work(write=False) as uow:
        if location is None:
            from sqlalchemy import select

            from earmark.store import tables as t

            locations = uow.tx.execute(
                select(t.positions.c.location).where(t.positions.c.sku == sku)
            ).scalars().all()
        else:
            locations = [location]
        figures = [queries.availability(uow.position(sku, loc)) for loc in locations]
    for f in figures:
        head = Table(title=f"{f['sku']} @ {f['location']} — today {f['today']}")
        for name in ("on_hand", "allocated", "committed", "backordered", "incoming",
                     "safety_stock", "available_now"):
            head.add_column(name, justify="right")
        head.add_row(*[str(f[n]) for n in ("on_hand", "allocated", "committed", "backordered",
                                           "incoming", "safety_stock", "available_now")])
        console.print(head)
        atp = Table(title="Available to promise")
        for name in ("date", "supply", "available"):
            atp.add_column(name, justify="right")
        for entry in f["atp"]:
            atp.add_row(entry["date"], str(entry["supply"]), str(entry["available"]))
        console.print(atp)


def backorders(
    sku: Annotated[str | None, typer.Option()] = None,
    location: Annotated[str | None, typer.Option()] = None,
    account: Annotated[str | None, typer.Option()] = None,
    database: DatabaseOption = None,
) -> None:
    """The backorder queue, in serving order.  Example: earmark backorders --sku COAT-XL"""
    store = open_store(database)
    with store.unit_of_work(write=False) as uow:
        found = queries.list_backorders(uow.tx, uow.today, sku, location, account, None, 1000)
    _table("Backorders", found["items"], ["sku", "location", "queue_position", "order", "line",
                                          "account", "backordered", "promised_date", "confirmed"])


def promise(
    sku: str, quantity: int,
    location: Annotated[str | None, typer.Option()] = None,
    account: Annotated[str | None, typer.Option()] = None,
    requested_date: Annotated[str | None, typer.Option()] = None,
    database: DatabaseOption = None,
) -> None:
    """What an order placed now would get (nothing is held).

    Example: earmark promise COAT-XL 3 --location WEB
    """
    store = open_store(database)
    with store.unit_of_work(write=False) as uow:
        result = cm.quote_promise(uow, cm.QuotePromise(
            sku, quantity, location, account,
            date.fromisoformat(requested_date) if requested_date else None))
    _report(result)


def register(app: typer.Typer) -> None:
    app.add_typer(items_app, name="items")
    app.add_typer(locations_app, name="locations")
    app.add_typer(accounts_app, name="accounts")
    app.add_typer(receipts_app, name="receipts")
    app.add_typer(orders_app, name="orders")
    app.add_typer(commitments_app, name="commitments")
    app.add_typer(lanes_app, name="lanes")
    app.command("availability")(availability)
    app.command("backorders")(backorders)
    app.command("promise")(promise)
