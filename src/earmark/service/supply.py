"""Supply commands: stock adjustments and receipts (create, change, receive, cancel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from earmark.domain.limits import NOTE_LENGTH_MAX, QUANTITY_MAX
from earmark.domain.outcomes import Outcome
from earmark.service.effects import Effects
from earmark.service.queries import availability, get_receipt
from earmark.service.results import Result, fail, invalid
from earmark.service.suppliers import ensure_supplier, record_slip
from earmark.service.transit import receipt_event_fields
from earmark.service.uow import UnitOfWork
from earmark.service.validation import (
    answer_to_twin,
    check_id,
    check_not_past,
    check_quantity,
    check_signed_quantity,
    need_item,
    need_location,
)
from earmark.service.vocabulary import ADJUSTMENT_REASONS, RECEIPT_SOURCES
from earmark.store import tables as t


@dataclass(frozen=True)
class Adjust:
    sku: str
    location: str
    quantity: int
    reason: str
    note: str | None = None


@dataclass(frozen=True)
class CreateReceipt:
    id: str
    sku: str
    location: str
    quantity: int
    expected_date: date
    source: str = "purchase"
    supplier: str | None = None


@dataclass(frozen=True)
class PatchReceipt:
    id: str
    expected_date: date | None = None
    quantity: int | None = None


@dataclass(frozen=True)
class ReceiveReceipt:
    id: str
    quantity: int | None = None


@dataclass(frozen=True)
class CancelReceipt:
    id: str


def ledger(uow: UnitOfWork, sku: str, location: str, quantity: int, reason: str,
           ref: str | None, note: str | None = None) -> None:
    uow.tx.execute(
        t.stock_ledger.insert().values(
            sku=sku, location=location, quantity=quantity, reason=reason, ref=ref,
            note=note, at=uow.now,
        )
    )


def adjust(uow: UnitOfWork, cmd: Adjust) -> Result:
    if error := check_signed_quantity("quantity", cmd.quantity):
        return error
    if cmd.reason not in ADJUSTMENT_REASONS:
        return invalid("reason", "must be one of " + ", ".join(ADJUSTMENT_REASONS))
    if cmd.note is not None and len(cmd.note) > NOTE_LENGTH_MAX:
        return invalid("note", f"must be at most {NOTE_LENGTH_MAX} characters")
    _, error = need_item(uow, cmd.sku)
    if error or (error := need_location(uow, cmd.location)):
        return error
    effects = Effects(uow, f"stock_{cmd.reason}")
    position = effects.position(cmd.sku, cmd.location)
    if position.on_hand + cmd.quantity < 0:
        return fail(
            Outcome.would_go_negative,
            f"on-hand is {position.on_hand}; an adjustment of {cmd.quantity} would take it below 0",
            "quantity",
        )
    if position.on_hand + cmd.quantity > QUANTITY_MAX:
        return invalid("quantity", f"on-hand may not exceed {QUANTITY_MAX}")
    # From here on the command must succeed.
    position.adjust(cmd.quantity)
    ledger(uow, cmd.sku, cmd.location, cmd.quantity, cmd.reason, None, cmd.note)
    uow.emit(
        "stock.adjusted",
        {"sku": cmd.sku, "location": cmd.location, "quantity": cmd.quantity,
         "reason": cmd.reason, "note": cmd.note, "on_hand": position.on_hand},
    )
    effects.finish()
    figures = availability(position)
    uow.commit()
    return Result(Outcome.created, figures)


def _receipt_request(cmd: CreateReceipt) -> dict[str, Any]:
    request = {"sku": cmd.sku, "location": cmd.location, "quantity": cmd.quantity,
               "expected_date": cmd.expected_date.isoformat(), "source": cmd.source}
    if cmd.supplier is not None:
        # Only when named, so that receipts stored before suppliers existed
        # still have an identical twin.
        request["supplier"] = cmd.supplier
    return request


def _receipt_replay(uow: UnitOfWork, cmd: CreateReceipt) -> Result | None:
    stored = uow.tx.execute(
        select(t.receipts.c.request).where(t.receipts.c.id == cmd.id)
    ).scalar()
    return answer_to_twin("receipt", cmd.id, stored, _receipt_request(cmd),
                          lambda: get_receipt(uow.tx, cmd.id))


def create_receipt(uow: UnitOfWork, cmd: CreateReceipt) -> Result:
    if error := check_id("id", cmd.id):
        return error
    if error := check_quantity("quantity", cmd.quantity):
        return error
    if cmd.source not in RECEIPT_SOURCES:
        return invalid("source", "must be one of " + ", ".join(RECEIPT_SOURCES))
    if cmd.supplier is not None and (error := check_id("supplier", cmd.supplier)):
        return error
    tx = uow.tx
    if replay := _receipt_replay(uow, cmd):
        return replay
    if error := check_not_past("expected_date", cmd.expected_date, uow.today):
        return error
    _, error = need_item(uow, cmd.sku)
    if error or (error := need_location(uow, cmd.location)):
        return error
    uow.lock([(cmd.sku, cmd.location)])
    # Asked again under the lock: a twin of this receipt may have committed meanwhile.
    if replay := _receipt_replay(uow, cmd):
        return replay
    effects = Effects(uow, "receipt_added")
    position = effects.position(cmd.sku, cmd.location)
    # From here on the command must succeed.
    seq = uow.next_number("receipt")
    if cmd.supplier is not None:
        ensure_supplier(uow, cmd.supplier)
    tx.execute(
        t.receipts.insert().values(
            id=cmd.id, sku=cmd.sku, location=cmd.location, quantity=cmd.quantity, received=0,
            expected_date=cmd.expected_date, first_expected_date=cmd.expected_date,
            source=cmd.source, supplier=cmd.supplier, status="open", seq=seq,
            request=_receipt_request(cmd), created_at=uow.now, updated_at=uow.now,
        )
    )
    position.add_receipt(cmd.id, cmd.expected_date, cmd.quantity, seq)
    body = get_receipt(tx, cmd.id)
    uow.emit("receipt.changed", {"receipt": cmd.id, "change": "created", **receipt_event_fields(body)})
    effects.finish()
    uow.commit()
    return Result(Outcome.created, body)


def _open_receipt(uow: UnitOfWork, receipt_id: str) -> tuple[Any, Result | None]:
    row = uow.tx.execute(select(t.receipts).where(t.receipts.c.id == receipt_id)).mappings().first()
    if row is None:
        return None, fail(Outcome.not_found, f"no receipt {receipt_id!r}")
    if row["source"] == "transfer" and uow.tx.execute(
            select(t.transfers.c.id).where(t.transfers.c.id == receipt_id)).first():
        # Its quantity and date are what the transfer makes them (service.transit).
        return row, fail(Outcome.transfer_receipt,
                         f"receipt {receipt_id!r} is transfer {receipt_id!r} arriving: ship, "
                         f"receive or cancel it at /v1/transfers/{receipt_id}")
    if row["status"] != "open":
        return row, fail(Outcome.not_open, f"receipt {receipt_id!r} is {row['status']}")
    return row, None


def patch_receipt(uow: UnitOfWork, cmd: PatchReceipt) -> Result:
    row, error = _open_receipt(uow, cmd.id)
    if error:
        return error
    received = int(row["received"])
    if cmd.expected_date is not None and (
        error := check_not_past("expected_date", cmd.expected_date, uow.today)
    ):
        return error
    if cmd.quantity is not None:
        if error := check_quantity("quantity", cmd.quantity):
            return error
        if cmd.quantity < received:
            return fail(Outcome.below_received,
                        f"quantity {cmd.quantity} is below the {received} already received",
                        "quantity")
    effects = Effects(uow, _patch_cause(row, cmd))
    position = effects.position(row["sku"], row["location"])
    # From here on the command must succeed.
    quantity = cmd.quantity if cmd.quantity is not None else int(row["quantity"])
    expected = cmd.expected_date or row["expected_date"]
    closed = quantity == received
    uow.tx.execute(
        t.receipts.update().where(t.receipts.c.sku == row["sku"], t.receipts.c.id == cmd.id).values(
            quantity=quantity, expected_date=expected, updated_at=uow.now,
            status="received" if closed else "open",
        )
    )
    position.change_receipt(cmd.id, expected_date=expected, open_quantity=quantity - received)
    if closed:
        # Cut down to what has arrived: received in full now, like a receive.
        position.close_receipt(cmd.id)
        record_slip(uow, row)
    body = get_receipt(uow.tx, cmd.id)
    uow.emit("receipt.changed", {"receipt": cmd.id, "change": "updated", **receipt_event_fields(body)})
    effects.finish()
    uow.commit()
    return Result(Outcome.ok, body)


def _patch_cause(row: Any, cmd: PatchReceipt) -> str:
    """In words for the customer: what the change to this receipt means."""
    if cmd.expected_date is not None and cmd.expected_date != row["expected_date"]:
        return "receipt_delayed" if cmd.expected_date > row["expected_date"] else "receipt_earlier"
    if cmd.quantity is not None and cmd.quantity < int(row["quantity"]):
        return "harvest_short" if row["source"] == "harvest" else "receipt_reduced"
    if cmd.quantity is not None and cmd.quantity > int(row["quantity"]):
        return "receipt_increased"
    return "receipt_changed"


def receive_receipt(uow: UnitOfWork, cmd: ReceiveReceipt) -> Result:
    row, error = _open_receipt(uow, cmd.id)
    if error:
        return error
    open_units = int(row["quantity"]) - int(row["received"])
    quantity = open_units if cmd.quantity is None else cmd.quantity
    if cmd.quantity is not None and (error := check_quantity("quantity", cmd.quantity)):
        return error
    if quantity > open_units:
        return fail(Outcome.exceeds_open,
                    f"{quantity} is more than the {open_units} open; record an over-delivery "
                    "as an adjustment", "quantity")
    effects = Effects(uow, "supply_arrived")
    position = effects.position(row["sku"], row["location"])
    # From here on the command must succeed.
    received = int(row["received"]) + quantity
    closed = received == int(row["quantity"])
    uow.tx.execute(
        t.receipts.update().where(t.receipts.c.sku == row["sku"], t.receipts.c.id == cmd.id).values(
            received=received, status="received" if closed else "open", updated_at=uow.now,
        )
    )
    position.receive(cmd.id, quantity)
    if closed:
        position.close_receipt(cmd.id)
        record_slip(uow, row)
    ledger(uow, row["sku"], row["location"], quantity, "receipt", cmd.id)
    body = get_receipt(uow.tx, cmd.id)
    uow.emit("receipt.received", {"receipt": cmd.id, "received_now": quantity,
                                  **receipt_event_fields(body)})
    effects.finish()
    uow.commit()
    return Result(Outcome.ok, body)


def cancel_receipt(uow: UnitOfWork, cmd: CancelReceipt) -> Result:
    row, error = _open_receipt(uow, cmd.id)
    if error:
        return error
    effects = Effects(uow, "receipt_cancelled")
    position = effects.position(row["sku"], row["location"])
    # From here on the command must succeed.
    uow.tx.execute(
        t.receipts.update().where(t.receipts.c.sku == row["sku"], t.receipts.c.id == cmd.id).values(
            status="cancelled", updated_at=uow.now,
        )
    )
    position.close_receipt(cmd.id)
    body = get_receipt(uow.tx, cmd.id)
    uow.emit("receipt.changed", {"receipt": cmd.id, "change": "cancelled", **receipt_event_fields(body)})
    effects.finish()
    uow.commit()
    return Result(Outcome.ok, body)
