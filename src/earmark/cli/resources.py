"""Master data over the same handlers as the HTTP API: items, locations,
accounts (with their notices and contact address) and lanes."""

from typing import Annotated

import typer

from earmark.cli.common import (
    CursorOption,
    DatabaseOption,
    FormatOption,
    LimitOption,
    after,
    done,
    fail,
    group,
    need,
    opened,
    reading,
    report,
    run,
    show,
    show_page,
)
from earmark.service.vocabulary import ItemBackorderWord, PromiseBasisWord

items_app = group("Items (skus).")
locations_app = group("Locations.")
accounts_app = group("Accounts (customers), their priority, notices and contact.")
lanes_app = group("Lanes: stock at one location reaches another in some days.")


# Items


@items_app.command("create")
def item_create(
    sku: str, name: str,
    lead_time_days: Annotated[int | None, typer.Option(
        help="Days a new receipt takes; dates the estimate of units no supply serves.")] = None,
    safety_stock: Annotated[int, typer.Option(help="Units on-hand keeps back as a buffer.")] = 0,
    backorders: Annotated[ItemBackorderWord, typer.Option(
        help="The default of the item's order lines.")] = "allow",
    unit: Annotated[str, typer.Option()] = "each",
    unit_cost: Annotated[str | None, typer.Option(help="A decimal, e.g. 12.50.")] = None,
    unit_price: Annotated[str | None, typer.Option(
        help="What a unit sells for, a decimal, e.g. 25.00.")] = None,
    promise_basis: Annotated[PromiseBasisWord | None, typer.Option(
        help="The date its customers are told: expected (promised_date) or p90.")] = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Create or replace an item (PUT /v1/items/{sku}).

    Example: earmark items create COAT-XL "Designer coat XL" --lead-time-days 21
    """
    from earmark.service import master

    report(run(database, master.upsert_item, master.UpsertItem(
        sku, name, unit, unit_cost, lead_time_days, backorders, safety_stock, unit_price,
        promise_basis)), format)


@items_app.command("show")
def item_show(sku: str, database: DatabaseOption = None, format: FormatOption = "json") -> None:
    """One item.  Example: earmark items show COAT-XL"""
    from earmark.service import catalog

    with reading(database) as uow:
        found = catalog.get_item(uow.tx, sku)
    show(need(found, f"item {sku!r}"), format)


@items_app.command("list")
def item_list(limit: LimitOption = 100, cursor: CursorOption = None,
              database: DatabaseOption = None, format: FormatOption = "table") -> None:
    """List items.  Example: earmark items list --format csv"""
    from earmark.service import catalog

    with reading(database) as uow:
        found = catalog.list_items(uow.tx, after(catalog.ITEMS.cursors, cursor), limit)
    show_page(found, format, title="Items")


# Locations


@locations_app.command("create")
def location_create(code: str, name: str, database: DatabaseOption = None,
                    format: FormatOption = "json") -> None:
    """Create or rename a location.  Example: earmark locations create WEB "Online store" """
    from earmark.service import master

    report(run(database, master.upsert_location, master.UpsertLocation(code, name)), format)


@locations_app.command("show")
def location_show(code: str, database: DatabaseOption = None,
                  format: FormatOption = "json") -> None:
    """One location.  Example: earmark locations show WEB"""
    from earmark.service import catalog

    with reading(database) as uow:
        found = catalog.get_location(uow.tx, code)
    show(need(found, f"location {code!r}"), format)


@locations_app.command("list")
def location_list(limit: LimitOption = 100, cursor: CursorOption = None,
                  database: DatabaseOption = None, format: FormatOption = "table") -> None:
    """List locations.  Example: earmark locations list"""
    from earmark.service import catalog

    with reading(database) as uow:
        found = catalog.list_locations(uow.tx, after(catalog.LOCATIONS.cursors, cursor), limit)
    show_page(found, format, title="Locations")


# Accounts


@accounts_app.command("create")
def account_create(
    account_id: str, name: str,
    priority: Annotated[int, typer.Option(min=0, max=1000,
                                          help="Lower is served first.")] = 100,
    promise_basis: Annotated[PromiseBasisWord | None, typer.Option(
        help="The date this customer is told (before the item's say): expected or p90.")] = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Create or replace an account (lower priority is served first).

    Example: earmark accounts create bigdev "Harbor Developments" --priority 10
    """
    from earmark.service import master

    report(run(database, master.upsert_account,
               master.UpsertAccount(account_id, name, priority, promise_basis)), format)


@accounts_app.command("show")
def account_show(account_id: str, database: DatabaseOption = None,
                 format: FormatOption = "json") -> None:
    """One account.  Example: earmark accounts show acme"""
    from earmark.service import catalog

    with reading(database) as uow:
        found = catalog.get_account(uow.tx, account_id)
    show(need(found, f"account {account_id!r}"), format)


@accounts_app.command("list")
def account_list(limit: LimitOption = 100, cursor: CursorOption = None,
                 database: DatabaseOption = None, format: FormatOption = "table") -> None:
    """List accounts.  Example: earmark accounts list"""
    from earmark.service import catalog

    with reading(database) as uow:
        found = catalog.list_accounts(uow.tx, after(catalog.ACCOUNTS.cursors, cursor), limit)
    show_page(found, format, title="Accounts")


@accounts_app.command("notices")
def account_notices(
    account_id: str,
    text: Annotated[bool, typer.Option("--text", help="Print each notice's words in full.")]
    = False,
    limit: LimitOption = 100, cursor: CursorOption = None,
    database: DatabaseOption = None, format: FormatOption = "table",
) -> None:
    """What the account's customer should be told, newest last
    (GET /v1/accounts/{id}/notices).

    Example: earmark accounts notices acme --text
    """
    from earmark.notify import notices
    from earmark.service import catalog

    with opened(database) as store:
        with store.unit_of_work(write=False) as uow:
            need(catalog.get_account(uow.tx, account_id), f"account {account_id!r}")
        # Every change recorded so far is told, as the API does before it answers.
        notices.catch_up(store)
        with store.unit_of_work(write=False) as uow:
            found = notices.list_notices(uow.tx, account_id,
                                         after(notices.NOTICES.cursors, cursor), limit)
    if text and format == "table":
        for notice in found["items"]:
            typer.echo(f"#{notice['id']} {notice['at']:%Y-%m-%d %H:%M} {notice['subject']}\n")
            typer.echo(notice["text"])
        return
    show_page(found, format, title=f"Notices for {account_id}",
              columns=None if format == "json" else
              ["id", "event_id", "at", "kind", "order", "line", "commitment", "subject"])


@accounts_app.command("contact")
def account_contact(
    account_id: str,
    email: Annotated[str | None, typer.Argument(
        help="Set the address to this; without it, show the address.", show_default=False)]
    = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Show or set the address the account's notices are e-mailed to.

    Example: earmark accounts contact acme buyer@acme.example
    """
    from earmark.notify import mailer

    if email is not None:
        report(run(database, mailer.set_contact, mailer.SetContact(account_id, email)), format)
        return
    with reading(database) as uow:
        found = mailer.get_contact(uow.tx, account_id)
    if found is None:
        fail(f"not_found: account {account_id!r} has no contact address")
    show(found, format)


# Lanes


@lanes_app.command("set")
def lane_set(origin: str, destination: str, transit_days: int,
             database: DatabaseOption = None, format: FormatOption = "json") -> None:
    """Create or change the lane FROM -> TO.  Example: earmark lanes set WEB STORE 2"""
    from earmark.service import network

    report(run(database, network.set_lane, network.SetLane(origin, destination, transit_days)),
           format)


@lanes_app.command("list")
def lane_list(
    origin: Annotated[str | None, typer.Option("--from")] = None,
    destination: Annotated[str | None, typer.Option("--to")] = None,
    limit: LimitOption = 100, cursor: CursorOption = None,
    database: DatabaseOption = None, format: FormatOption = "table",
) -> None:
    """List lanes, optionally only those from or to a location.

    Example: earmark lanes list --to STORE
    """
    from earmark.service import network

    with reading(database) as uow:
        found = network.list_lanes(uow.tx, origin, destination,
                                   after(network.LANES.cursors, cursor), limit)
    show_page(found, format, columns=["from", "to", "transit_days"], title="Lanes")


@lanes_app.command("rm")
def lane_rm(origin: str, destination: str, database: DatabaseOption = None) -> None:
    """Remove the lane FROM -> TO (transfers on it keep their transit).

    Example: earmark lanes rm WEB STORE
    """
    from earmark.service import network

    done(run(database, network.remove_lane, network.RemoveLane(origin, destination)),
         f"removed the lane {origin} -> {destination}")


def register(app: typer.Typer) -> None:
    app.add_typer(items_app, name="items")
    app.add_typer(locations_app, name="locations")
    app.add_typer(accounts_app, name="accounts")
    app.add_typer(lanes_app, name="lanes")
