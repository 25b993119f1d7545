"""Demand over the same handlers as the HTTP API: orders (place, show, list,
ship, cancel), commitments (create, show, list, release), and the reads
that promise: availability, the backorder queue, a promise quote."""

from datetime import date
from typing import Annotated, Any

import typer

from earmark.cli.common import (
    CursorOption,
    DatabaseOption,
    Day,
    FormatOption,
    LimitOption,
    after,
    day_option,
    fail,
    group,
    need,
    reading,
    report,
    run,
    show,
    show_page,
)
from earmark.service.vocabulary import (
    BackorderWord,
    CommitmentKind,
    CommitmentMode,
    CommitmentStatus,
    OrderStatus,
)

orders_app = group("Orders: place, show, list, ship, cancel.")
commitments_app = group("Commitments (earmarks): supply set aside for an account.")

LINE_COLUMNS = ["order", "account", "line", "sku", "location", "quantity", "allocated",
                "backordered", "shipped", "cancelled", "requested_date", "promised_date",
                "queue_position", "status"]
COMMITMENT_COLUMNS = ["id", "account", "sku", "location", "quantity", "need_date", "expires_on",
                      "kind", "mode", "status", "consumed", "remaining", "confirmed",
                      "promised_date"]


def pairs(values: list[str], second: str) -> list[tuple[str, str]]:
    """``A 1 B 2`` as ``[(A, 1), (B, 2)]``: arguments that come in pairs."""
    if len(values) % 2:
        fail(f"{' '.join(values)!r}: give each one with its {second}", 2)
    return list(zip(values[::2], values[1::2], strict=True))


def _count(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        fail(f"{what}: {value!r} is not a whole number", 2)


# Orders


@orders_app.command("create")
def order_create(
    order_id: str, account: str,
    lines: Annotated[list[str], typer.Argument(
        metavar="SKU QUANTITY [SKU QUANTITY]...",
        help="Each line's sku and quantity; lines are numbered 1, 2, ... in this order.",
        show_default=False)],
    location: Annotated[str | None, typer.Option(
        help="Where every line is served (may be left out while one location exists).")]
    = None,
    requested_date: Annotated[date | None, day_option(help="Default: today.")] = None,
    backorder: Annotated[BackorderWord | None, typer.Option(
        help="Units that cannot be held now: wait (allow), are cancelled (deny), or the "
        "order is refused (reject). Default: the item's.")] = None,
    ship_to: Annotated[str | None, typer.Option(
        help="Deliver to this location instead of naming --location: served from it or from "
        "a location with a lane to it, whichever delivers every unit first.")] = None,
    split: Annotated[bool, typer.Option(
        help="With --ship-to: may be served from several locations.")] = False,
    unit_price: Annotated[str | None, typer.Option(
        help="What a unit of every line sells for (default: each item's unit_price).")] = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Place an order (POST /v1/orders).

    Examples: earmark orders create SO-1001 acme COAT-XL 3 SCARF 1 --location WEB
              earmark orders create SO-1002 acme COAT-XL 3 --ship-to STORE-SOHO --split
    """
    from earmark.service import orders

    placed = [orders.LineIn(str(n), sku, _count(quantity, "quantity"), location,
                            requested_date, backorder, ship_to, split, unit_price)
              for n, (sku, quantity) in enumerate(pairs(lines, "quantity"), start=1)]
    report(run(database, orders.place_order, orders.PlaceOrder(order_id, account, placed)),
           format)


def _order(database: str | None, order_id: str) -> dict[str, Any]:
    from earmark.service.queries import get_order

    with reading(database) as uow:
        return need(get_order(uow.tx, order_id, uow.today), f"order {order_id!r}")


@orders_app.command("show")
def order_show(order_id: str, database: DatabaseOption = None,
               format: FormatOption = "json") -> None:
    """One order, its promises current (GET /v1/orders/{id}).

    Example: earmark orders show SO-1001 --format table
    """
    show(_order(database, order_id), format, title=f"Order {order_id}")


@orders_app.command("list")
def order_list(
    account: Annotated[str | None, typer.Option()] = None,
    status: Annotated[OrderStatus | None, typer.Option()] = None,
    limit: LimitOption = 100, cursor: CursorOption = None,
    database: DatabaseOption = None, format: FormatOption = "table",
) -> None:
    """List orders in arrival order; as a table or CSV, one row per line.

    Example: earmark orders list --account acme --status open
    """
    from earmark.service import queries

    with reading(database) as uow:
        found = queries.list_orders(uow.tx, uow.today, account, status,
                                    after(queries.ORDERS.cursors, cursor), limit)
    if format != "json":
        found = {**found, "items": [{"order": o["id"], "account": o["account"], **line}
                                    for o in found["items"] for line in o["lines"]]}
    show_page(found, format, columns=None if format == "json" else LINE_COLUMNS,
              title="Order lines")


@orders_app.command("ship")
def order_ship(
    order_id: str,
    lines: Annotated[list[str] | None, typer.Argument(
        metavar="[LINE QUANTITY]...", help="Default: every allocated unit of every line.",
        show_default=False)] = None,
    part: Annotated[str | None, typer.Option(
        "--from", help="The part's location, for a ship-to line served from several.")] = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Ship allocated units; on-hand falls with them (POST /v1/orders/{id}/ship).

    Example: earmark orders ship SO-1001 1 2
    """
    from earmark.service import orders

    if lines:
        shipped = [orders.LineQuantity(line, _count(quantity, "quantity"), part)
                   for line, quantity in pairs(lines, "quantity")]
    else:
        shipped = [orders.LineQuantity(line["line"], line["allocated"])
                   for line in _order(database, order_id)["lines"] if line["allocated"]]
        if not shipped:
            fail(f"conflict: order {order_id!r} has no allocated units to ship")
    report(run(database, orders.ship_order, orders.ShipOrder(order_id, shipped)), format)


@orders_app.command("cancel")
def order_cancel(
    order_id: str,
    lines: Annotated[list[str] | None, typer.Argument(
        metavar="[LINE QUANTITY|all]...", help="Default: every open unit of every line.",
        show_default=False)] = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Cancel open units; the freed supply goes to the queue (POST /v1/orders/{id}/cancel).

    Example: earmark orders cancel SO-1001 1 all
    """
    from earmark.service import orders

    cancelled = None
    if lines:
        cancelled = [orders.LineQuantity(line, None if quantity == "all"
                                         else _count(quantity, "quantity"))
                     for line, quantity in pairs(lines, "quantity (or all)")]
    report(run(database, orders.cancel_order, orders.CancelOrder(order_id, cancelled)), format)


# Commitments


@commitments_app.command("create")
def commitment_create(
    commitment_id: str, account: str, sku: str, location: str, quantity: int, need_date: Day,
    expires_on: Annotated[date | None, day_option(
        help="From this day on, what is left unconsumed is released.")] = None,
    kind: Annotated[CommitmentKind, typer.Option(help="A label.")] = "contract",
    mode: Annotated[CommitmentMode, typer.Option(
        help="strict: confirmed in full by the need date or refused; partial: confirm what "
        "can be, the rest waits.")] = "strict",
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Earmark supply for an account (POST /v1/commitments).

    Example: earmark commitments create C-Q2 bigdev BEAM-W12 YARD 10000 2026-04-01
    """
    from earmark.service import commitments as cm

    report(run(database, cm.create_commitment, cm.CreateCommitment(
        commitment_id, account, sku, location, quantity, need_date, expires_on, kind, mode)),
        format)


@commitments_app.command("show")
def commitment_show(commitment_id: str, database: DatabaseOption = None,
                    format: FormatOption = "json") -> None:
    """One commitment, its promises current.  Example: earmark commitments show C-Q2"""
    from earmark.service.queries import get_commitment

    with reading(database) as uow:
        found = get_commitment(uow.tx, commitment_id, uow.today)
    show(need(found, f"commitment {commitment_id!r}"), format,
         title=f"Commitment {commitment_id}")


@commitments_app.command("list")
def commitment_list(
    account: Annotated[str | None, typer.Option()] = None,
    sku: Annotated[str | None, typer.Option()] = None,
    status: Annotated[CommitmentStatus | None, typer.Option()] = None,
    limit: LimitOption = 100, cursor: CursorOption = None,
    database: DatabaseOption = None, format: FormatOption = "table",
) -> None:
    """List commitments.  Example: earmark commitments list --status open"""
    from earmark.service import queries

    with reading(database) as uow:
        found = queries.list_commitments(uow.tx, uow.today, account, sku, status,
                                         after(queries.COMMITMENTS.cursors, cursor), limit)
    show_page(found, format, columns=None if format == "json" else COMMITMENT_COLUMNS,
              title="Commitments")


@commitments_app.command("release")
def commitment_release(
    commitment_id: str,
    quantity: Annotated[int | None, typer.Option(help="Default: all that remains.")] = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Release remaining units; the freed supply goes to the queue
    (POST /v1/commitments/{id}/release).

    Example: earmark commitments release C-Q2 --quantity 500
    """
    from earmark.service import commitments as cm

    report(run(database, cm.release_commitment, cm.ReleaseCommitment(commitment_id, quantity)),
           format)


# Availability, backorders, promise


def availability(
    sku: str, location: Annotated[str | None, typer.Option(
        help="Default: summed over every location, without the ATP.")] = None,
    database: DatabaseOption = None, format: FormatOption = "table",
) -> None:
    """A position with its time-phased ATP (GET /v1/availability/{sku}).

    Example: earmark availability BEAM-W12 --location YARD
    """
    from earmark.service import catalog, queries

    with reading(database) as uow:
        need(catalog.get_item(uow.tx, sku), f"item {sku!r}")
        if location is not None:
            if not catalog.location_exists(uow.tx, location):
                fail(f"not_found: no location {location!r}")
            figures = queries.availability(uow.position(sku, location))
        else:
            figures = queries.sum_availability(sku, uow.today, [
                queries.availability(uow.position(sku, code))
                for code in catalog.position_locations(uow.tx, sku)])
    show(figures, format, title=f"{sku} @ {location or 'every location'}")


def backorders(
    sku: Annotated[str | None, typer.Option()] = None,
    location: Annotated[str | None, typer.Option()] = None,
    account: Annotated[str | None, typer.Option()] = None,
    limit: LimitOption = 100, cursor: CursorOption = None,
    database: DatabaseOption = None, format: FormatOption = "table",
) -> None:
    """The backorder queue, in serving order (GET /v1/backorders).

    Example: earmark backorders --sku COAT-XL
    """
    from earmark.service import queries

    with reading(database) as uow:
        found = queries.list_backorders(uow.tx, uow.today, sku, location, account,
                                        after(queries.BACKORDERS.cursors, cursor), limit)
    show_page(found, format, title="Backorders", columns=None if format == "json" else [
        "sku", "location", "queue_position", "order", "line", "account", "backordered",
        "promised_date", "confirmed"])


def promise(
    sku: str, quantity: int,
    location: Annotated[str | None, typer.Option()] = None,
    account: Annotated[str | None, typer.Option(
        help="Whose commitments an order would consume.")] = None,
    requested_date: Annotated[date | None, day_option(help="Default: today.")] = None,
    ship_to: Annotated[str | None, typer.Option(
        help="What a line delivered here would get (instead of --location).")] = None,
    split: Annotated[bool, typer.Option(help="With --ship-to: may be split.")] = False,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """What an order line placed now would get; nothing is held (POST /v1/promise).

    Example: earmark promise COAT-XL 3 --ship-to STORE-SOHO
    """
    from earmark.service import commitments as cm

    with reading(database) as uow:
        result = cm.quote_promise(uow, cm.QuotePromise(sku, quantity, location, account,
                                                        requested_date, ship_to, split))
    report(result, format)


def register(app: typer.Typer) -> None:
    app.add_typer(orders_app, name="orders")
    app.add_typer(commitments_app, name="commitments")
    app.command("availability")(availability)
    app.command("backorders")(backorders)
    app.command("promise")(promise)
