"""Supply over the same handlers as the HTTP API: stock adjustments and
receipts (create, move or resize, receive, cancel)."""

from datetime import date
from typing import Annotated

import typer

from earmark.cli.common import (
    SIGNED_NUMBERS,
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
from earmark.service.vocabulary import AdjustmentReason, ReceiptSource, ReceiptStatus

stock_app = group("Stock on hand: adjustments (counts, damage, returns, ...).")
receipts_app = group("Receipts: incoming supply.")

RECEIPT_COLUMNS = ["id", "sku", "location", "quantity", "received", "open", "expected_date",
                   "source", "status"]


@stock_app.command("adjust", context_settings=SIGNED_NUMBERS)
def stock_adjust(
    sku: str, location: str,
    quantity: Annotated[int, typer.Argument(
        help="Units to add, or to take away when negative (-3).", show_default=False)],
    reason: Annotated[AdjustmentReason, typer.Option(
        help="Why on-hand changes.")] = "correction",
    note: Annotated[str | None, typer.Option()] = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Add or take units on hand (POST /v1/adjustments). Taking more than is
    free takes held units back, lowest rank first: they become backordered.

    Example: earmark stock adjust COAT-XL WEB -3 --reason damage
    """
    from earmark.service import supply

    report(run(database, supply.adjust, supply.Adjust(sku, location, quantity, reason, note)),
           format)


@receipts_app.command("create")
def receipt_create(
    receipt_id: str, sku: str, location: str, quantity: int, expected_date: Day,
    source: Annotated[ReceiptSource, typer.Option()] = "purchase",
    supplier: Annotated[str | None, typer.Option(
        help="Who delivers it (created on first use); its slips date likely_by.")] = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Record incoming supply (POST /v1/receipts).

    Example: earmark receipts create PO-7 COAT-XL WEB 40 2026-03-16
    """
    from earmark.service import supply

    report(run(database, supply.create_receipt, supply.CreateReceipt(
        receipt_id, sku, location, quantity, expected_date, source, supplier)), format)


@receipts_app.command("show")
def receipt_show(receipt_id: str, database: DatabaseOption = None,
                 format: FormatOption = "json") -> None:
    """One receipt.  Example: earmark receipts show PO-7"""
    from earmark.service.queries import get_receipt

    with reading(database) as uow:
        found = get_receipt(uow.tx, receipt_id)
    show(need(found, f"receipt {receipt_id!r}"), format)


@receipts_app.command("list")
def receipt_list(
    sku: Annotated[str | None, typer.Option()] = None,
    location: Annotated[str | None, typer.Option()] = None,
    status: Annotated[ReceiptStatus | None, typer.Option()] = None,
    limit: LimitOption = 100, cursor: CursorOption = None,
    database: DatabaseOption = None, format: FormatOption = "table",
) -> None:
    """List receipts in the order they were created.  Example: earmark receipts list --status open"""
    from earmark.service import catalog

    with reading(database) as uow:
        found = catalog.list_receipts(uow.tx, sku, location, status,
                                      after(catalog.RECEIPTS.cursors, cursor), limit)
    show_page(found, format, columns=None if format == "json" else RECEIPT_COLUMNS,
              title="Receipts")


@receipts_app.command("move")
def receipt_move(
    receipt_id: str,
    expected_date: Annotated[date | None, day_option(
        "--expected-date", "--to", help="The new expected date.")] = None,
    quantity: Annotated[int | None, typer.Option(help="The new quantity in all.")] = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Move a receipt to another date or change its quantity (PATCH
    /v1/receipts/{id}); the demand pegged to it is re-planned.

    Example: earmark receipts move MILL-MAR --to 2026-05-01
    """
    from earmark.service import supply

    if expected_date is None and quantity is None:
        fail("say --to YYYY-MM-DD, --quantity N, or both", 2)
    report(run(database, supply.patch_receipt,
               supply.PatchReceipt(receipt_id, expected_date, quantity)), format)


@receipts_app.command("receive")
def receipt_receive(
    receipt_id: str,
    quantity: Annotated[int | None, typer.Option(help="Default: all that is open.")] = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Receive a receipt: its units join on-hand (POST /v1/receipts/{id}/receive).

    Example: earmark receipts receive PO-7 --quantity 10
    """
    from earmark.service import supply

    report(run(database, supply.receive_receipt, supply.ReceiveReceipt(receipt_id, quantity)),
           format)


@receipts_app.command("cancel")
def receipt_cancel(receipt_id: str, database: DatabaseOption = None,
                   format: FormatOption = "json") -> None:
    """Cancel what is still open of a receipt (POST /v1/receipts/{id}/cancel).

    Example: earmark receipts cancel PO-7
    """
    from earmark.service import supply

    report(run(database, supply.cancel_receipt, supply.CancelReceipt(receipt_id)), format)


def register(app: typer.Typer) -> None:
    app.add_typer(stock_app, name="stock")
    app.add_typer(receipts_app, name="receipts")
    app.add_typer(suppliers_app, name="suppliers")
    app.add_typer(transfers_app, name="transfers")


# Suppliers

suppliers_app = group("Suppliers: who delivers receipts, and how late they tend to be.")

SUPPLIER_COLUMNS = ["id", "receipts", "received", "slip_mean", "slip_p50", "slip_p90",
                    "on_time_share"]


@suppliers_app.command("list")
def supplier_list(limit: LimitOption = 100, cursor: CursorOption = None,
                  database: DatabaseOption = None, format: FormatOption = "table") -> None:
    """Suppliers with their slip figures (GET /v1/suppliers).  Example: earmark suppliers list"""
    from earmark.service import suppliers

    with reading(database) as uow:
        found = suppliers.list_suppliers(uow, after(suppliers.SUPPLIERS.cursors, cursor), limit)
    if format == "json":
        show_page(found, format)
        return
    # A table or CSV row per supplier, its slip figures in columns of their own.
    found["items"] = [{**s, **{f"slip_{k}": v for k, v in s["slip_days"].items()}}
                      for s in found["items"]]
    show_page(found, format, title="Suppliers", columns=SUPPLIER_COLUMNS)


@suppliers_app.command("show")
def supplier_show(supplier_id: str, database: DatabaseOption = None,
                  format: FormatOption = "json") -> None:
    """A supplier's slip distribution: count, mean, P50, P90, on-time share, histogram.

    Example: earmark suppliers show nordic-wool
    """
    from earmark.service import suppliers

    with reading(database) as uow:
        found = suppliers.get_supplier(uow, supplier_id)
    show(need(found, f"supplier {supplier_id!r}"), format)


# Transfers

transfers_app = group("Transfers: stock moved along a lane, promised at the destination.")

TRANSFER_COLUMNS = ["id", "sku", "from", "to", "quantity", "open", "in_transit", "received",
                    "cancelled", "transit_days", "expected_date", "status"]


@transfers_app.command("create")
def transfer_create(
    transfer_id: str, sku: str, origin: str, destination: str, quantity: int,
    need_date: Annotated[date | None, day_option(
        help="When it must arrive (default: from free on-hand now).")] = None,
    priority: Annotated[int | None, typer.Option(
        help="Rank at the source (default: after every account).")] = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Move stock from FROM to TO along their lane (POST /v1/transfers); refused
    unless every unit is pegged at FROM by its need date.

    Example: earmark transfers create TR-1 AVOCADO-HASS DC-EAST SHOP-HOBOKEN 40
    """
    from earmark.service import transfers

    report(run(database, transfers.create_transfer, transfers.CreateTransfer(
        transfer_id, sku, origin, destination, quantity, need_date, priority)), format)


@transfers_app.command("show")
def transfer_show(transfer_id: str, database: DatabaseOption = None,
                  format: FormatOption = "json") -> None:
    """One transfer (GET /v1/transfers/{id}).  Example: earmark transfers show TR-1"""
    from earmark.service import transfers

    with reading(database) as uow:
        found = need(transfers.get_transfer(uow.tx, transfer_id, uow.today),
                     f"transfer {transfer_id!r}")
    show(found, format, title=f"Transfer {transfer_id}")


@transfers_app.command("list")
def transfer_list(
    sku: Annotated[str | None, typer.Option()] = None,
    origin: Annotated[str | None, typer.Option("--from")] = None,
    destination: Annotated[str | None, typer.Option("--to")] = None,
    status: Annotated[str | None, typer.Option(
        help="open, in_transit, received or cancelled.")] = None,
    limit: LimitOption = 100, cursor: CursorOption = None,
    database: DatabaseOption = None, format: FormatOption = "table",
) -> None:
    """List transfers in the order they were created.  Example: earmark transfers list --to STORE"""
    from earmark.service import transfers

    with reading(database) as uow:
        found = transfers.list_transfers(uow.tx, uow.today, sku, origin, destination, status,
                                         after(transfers.TRANSFERS.cursors, cursor), limit)
    show_page(found, format, columns=None if format == "json" else TRANSFER_COLUMNS,
              title="Transfers")


@transfers_app.command("ship")
def transfer_ship(
    transfer_id: str,
    quantity: Annotated[int | None, typer.Option(help="Default: all held at the source.")]
    = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Ship held units: on-hand at the source falls; they arrive after the transit
    (POST /v1/transfers/{id}/ship).  Example: earmark transfers ship TR-1"""
    from earmark.service import transfers

    report(run(database, transfers.ship_transfer,
               transfers.ShipTransfer(transfer_id, quantity)), format)


@transfers_app.command("receive")
def transfer_receive(
    transfer_id: str,
    quantity: Annotated[int | None, typer.Option(help="Default: all in transit.")] = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Receive units in transit at the destination (POST /v1/transfers/{id}/receive).

    Example: earmark transfers receive TR-1
    """
    from earmark.service import transfers

    report(run(database, transfers.receive_transfer,
               transfers.ReceiveTransfer(transfer_id, quantity)), format)


@transfers_app.command("cancel")
def transfer_cancel(transfer_id: str, database: DatabaseOption = None,
                    format: FormatOption = "json") -> None:
    """Give back what has not shipped (POST /v1/transfers/{id}/cancel).

    Example: earmark transfers cancel TR-1
    """
    from earmark.service import transfers

    report(run(database, transfers.cancel_transfer, transfers.CancelTransfer(transfer_id)),
           format)
