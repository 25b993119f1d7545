"""Transfers: stock moved along a lane (DESIGN.md, "Network promising").

A transfer is demand at its source (``from``): ranked by its ``priority``
(default: after every account, the largest priority number any account
has, 100 without accounts), then arrival (the ``demand`` counter, shared
with orders and commitments); needed on ``need_date`` - transit (not before
today; without ``need_date``, today). It is created only if every unit pegs
there on or before that date, like a strict commitment (rule 6); else 409
with ``shortfall`` and ``earliest_date`` (at the source) and nothing changes.

At its destination (``to``) it is a receipt with the same id and ``source:
"transfer"``, which follows the source (:mod:`earmark.service.transit`):
open quantity = units pegged at the source + units in transit; expected
date = the latest of (their promised date at the source + transit) and (the
last ship day + transit, for units in transit).

- ship: held units at the source leave on-hand there (ledger
  ``transfer_out``); they are in transit, due the ship day + transit;
- receive: units in transit, and only those, join on-hand at the
  destination exactly as a receipt's do (rule 5; ledger ``transfer_in``);
- cancel: what has not shipped is given back at the source (freed supply,
  rule 3) and leaves the receipt (lost supply at the destination, rule 4).
  Units in transit stay in transit and can still be received.

The receipt itself is not changed through ``/v1/receipts`` (PATCH, receive
and cancel answer 409 ``transfer_receipt``): its quantity and date are what
the transfer makes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, RowMapping

from earmark.domain.events import iso
from earmark.domain.limits import PAGE_LIMIT_DEFAULT, PRIORITY_MAX
from earmark.domain.outcomes import Outcome
from earmark.domain.position import Demand, DemandKey
from earmark.domain.transfers import (
    destination_supply,
    plus_days,
    source_need_date,
    transfer_status,
)
from earmark.service.confidence import Confidence, receipt_margins, receipts_of
from earmark.service.effects import Effects
from earmark.service.pages import Key, Keyset, page
from earmark.service.queries import PromiseReader, get_receipt, narrowed, promises_out
from earmark.service.results import Result, fail, invalid
from earmark.service.supply import ledger
from earmark.service.transit import at_source, in_transit, receipt_event_fields, transfer_rows
from earmark.service.uow import UnitOfWork
from earmark.service.validation import (
    answer_to_twin,
    check_id,
    check_quantity,
    need_item,
    need_location,
)
from earmark.store import tables as t

PRIORITY_WITHOUT_ACCOUNTS = 100
"""A transfer's default priority when no account exists (an account's default)."""
TRANSFERS = Keyset.of("transfers", t.transfers.c.seq, t.transfers.c.id)


@dataclass(frozen=True)
class CreateTransfer:
    id: str
    sku: str
    origin: str
    destination: str
    quantity: int
    need_date: date | None = None
    priority: int | None = None


@dataclass(frozen=True)
class ShipTransfer:
    id: str
    quantity: int | None = None


@dataclass(frozen=True)
class ReceiveTransfer:
    id: str
    quantity: int | None = None


@dataclass(frozen=True)
class CancelTransfer:
    id: str


# ----------------------------------------------------------------------
# Reading


def transfers_out(tx: Connection, rows: list[RowMapping], today: date) -> list[dict[str, Any]]:
    """Transfers as the API shows them; their promises are dated at the source."""
    if not rows:
        return []
    promises = PromiseReader(tx, today).promises([
        (DemandKey.for_transfer(r["id"]), r["sku"], r["from_location"],
         source_need_date(r["need_date"], int(r["transit_days"])), at_source(r))
        for r in rows
    ])
    r_ = t.receipts.c
    expected = dict(tx.execute(
        select(r_.id, r_.expected_date).where(r_.sku.in_(sorted({r["sku"] for r in rows})),
                                              r_.id.in_(sorted(r["id"] for r in rows)))
    ).all())
    confidence = Confidence(receipt_margins(
        tx, receipts_of(p for mine in promises.values() for p in mine), {r["sku"] for r in rows}))
    out = []
    for r in rows:
        mine = promises[(DemandKey.for_transfer(r["id"]), r["from_location"])]
        out.append({
            "id": r["id"],
            "sku": r["sku"],
            "from": r["from_location"],
            "to": r["to_location"],
            "quantity": int(r["quantity"]),
            "shipped": int(r["shipped"]),
            "received": int(r["received"]),
            "cancelled": int(r["cancelled"]),
            "in_transit": in_transit(r),
            "allocated": sum(p.quantity for p in mine if p.confirmed and p.receipt is None),
            "open": at_source(r),
            "transit_days": int(r["transit_days"]),
            "need_date": iso(r["need_date"]),
            "expected_date": iso(expected.get(r["id"])),
            "priority": int(r["priority"]),
            "status": r["status"],
            "promises": promises_out(mine, confidence),
            "created_at": r["created_at"],
            "updated_at": r["updated_at"],
        })
    return out


def get_transfer(tx: Connection, transfer_id: str, today: date) -> dict[str, Any] | None:
    rows = transfer_rows(tx, {transfer_id})
    return transfers_out(tx, rows, today)[0] if rows else None


def list_transfers(tx: Connection, today: date, sku: str | None, origin: str | None,
                   destination: str | None, status: str | None, after: Key | None,
                   limit: int = PAGE_LIMIT_DEFAULT) -> dict[str, Any]:
    tr = t.transfers.c
    query = narrowed(select(t.transfers), (tr.sku, sku), (tr.from_location, origin),
                     (tr.to_location, destination), (tr.status, status))
    rows, cursor = TRANSFERS.read(tx, query, after, limit)
    return page(transfers_out(tx, rows, today), cursor)


# ----------------------------------------------------------------------
# Creating


def _request(cmd: CreateTransfer) -> dict[str, Any]:
    return {"sku": cmd.sku, "from": cmd.origin, "to": cmd.destination, "quantity": cmd.quantity,
            "need_date": iso(cmd.need_date), "priority": cmd.priority}


def _replay(uow: UnitOfWork, cmd: CreateTransfer) -> Result | None:
    """A transfer with this id: the same (200) or a conflict; a receipt with this
    id: a conflict (a transfer's id names its receipt at the destination)."""
    stored = uow.tx.execute(
        select(t.transfers.c.request).where(t.transfers.c.id == cmd.id)).scalar()
    if stored is not None:
        return answer_to_twin("transfer", cmd.id, stored, _request(cmd),
                              lambda: get_transfer(uow.tx, cmd.id, uow.today))
    if uow.tx.execute(select(t.receipts.c.id).where(t.receipts.c.id == cmd.id)).first():
        return fail(Outcome.exists_with_different_content,
                    f"receipt {cmd.id!r} exists: a transfer's id names its receipt at the "
                    "destination, so it must be free among receipts too", "id")
    return None


def default_priority(uow: UnitOfWork) -> int:
    """After every account: the largest priority number any account has."""
    largest = uow.tx.execute(select(func.max(t.accounts.c.priority))).scalar()
    return PRIORITY_WITHOUT_ACCOUNTS if largest is None else int(largest)


def _check(uow: UnitOfWork, cmd: CreateTransfer) -> tuple[int, Result | None]:
    """The lane's transit days, or why the transfer is refused."""
    _, error = need_item(uow, cmd.sku)
    if error:
        return 0, error
    for field_name, code in (("from", cmd.origin), ("to", cmd.destination)):
        if error := check_id(field_name, code):
            return 0, error
        if error := need_location(uow, code, field_name):
            return 0, error
    if cmd.origin == cmd.destination:
        return 0, invalid("to", "a transfer moves stock between two different locations")
    if cmd.priority is not None and not 0 <= cmd.priority <= PRIORITY_MAX:
        return 0, invalid("priority", f"must be from 0 to {PRIORITY_MAX}")
    transit = uow.master.lane(cmd.origin, cmd.destination)
    if transit is None:
        return 0, fail(Outcome.no_lane, f"no lane from {cmd.origin!r} to {cmd.destination!r} "
                       "(PUT /v1/lanes/{from}/{to} makes one)", "to")
    return transit, None


def create_transfer(uow: UnitOfWork, cmd: CreateTransfer) -> Result:
    if error := check_id("id", cmd.id):
        return error
    if error := check_quantity("quantity", cmd.quantity):
        return error
    if replay := _replay(uow, cmd):
        return replay
    transit, error = _check(uow, cmd)
    if error:
        return error
    uow.lock([(cmd.sku, cmd.origin), (cmd.sku, cmd.destination)])
    # Asked again under the locks: a twin may have committed meanwhile.
    if replay := _replay(uow, cmd):
        return replay
    effects = Effects(uow, "transfer_created")
    source = effects.position(cmd.sku, cmd.origin)
    # Loaded before its receipt row exists: the receipt joins it below.
    destination = effects.position(cmd.sku, cmd.destination)
    need = source_need_date(cmd.need_date, transit)
    check = source.check_strict(cmd.quantity, need)
    if not check.confirmable:
        by = f"by {cmd.need_date.isoformat()}" if cmd.need_date else "from on-hand now"
        earliest = check.earliest_date
        return fail(
            Outcome.insufficient,
            f"only {cmd.quantity - check.shortfall} of {cmd.quantity} can be pegged at "
            f"{cmd.origin} {by}",
            shortfall=check.shortfall, earliest_date=iso(earliest),
            earliest_arrival=iso(plus_days(earliest, transit) if earliest else None),
        )
    # From here on the transfer must succeed.
    priority = default_priority(uow) if cmd.priority is None else cmd.priority
    seq = uow.next_number("demand")
    uow.tx.execute(t.transfers.insert().values(
        id=cmd.id, sku=cmd.sku, from_location=cmd.origin, to_location=cmd.destination,
        quantity=cmd.quantity, shipped=0, received=0, cancelled=0, transit_days=transit,
        need_date=cmd.need_date, priority=priority, seq=seq, status="open",
        request=_request(cmd), created_at=uow.now, updated_at=uow.now,
    ))
    receipt_seq = uow.next_number("receipt")
    demand = Demand(DemandKey.for_transfer(cmd.id), "", (priority, seq, 0), need, cmd.quantity,
                    supplies_seq=receipt_seq)
    source.add_demand(demand)
    source.settle()
    supply = destination_supply(source, demand, 0, None, transit)
    expected = supply.expected_date or uow.today
    uow.tx.execute(t.receipts.insert().values(
        id=cmd.id, sku=cmd.sku, location=cmd.destination, quantity=supply.open, received=0,
        expected_date=expected, first_expected_date=expected, source="transfer", status="open",
        seq=receipt_seq,
        request={"transfer": cmd.id}, created_at=uow.now, updated_at=uow.now,
    ))
    destination.add_receipt(cmd.id, expected, supply.open, receipt_seq, transfer=True)
    uow.emit("transfer.created", _event(cmd.id, cmd.sku, cmd.origin, cmd.destination,
                                        cmd.quantity))
    uow.emit("receipt.changed", {"receipt": cmd.id, "change": "created", "transfer": cmd.id,
                                 **receipt_event_fields(get_receipt(uow.tx, cmd.id))})
    effects.finish({demand.key})
    uow.flush()
    body = get_transfer(uow.tx, cmd.id, uow.today)
    uow.commit()
    return Result(Outcome.created, body)


def _event(tid: str, sku: str, origin: str, destination: str, quantity: int) -> dict[str, Any]:
    return {"transfer": tid, "sku": sku, "from": origin, "to": destination, "quantity": quantity}


# ----------------------------------------------------------------------
# Ship, receive, cancel


def _transfer(uow: UnitOfWork, transfer_id: str) -> RowMapping | Result:
    """The transfer's row, or why there is none."""
    rows = transfer_rows(uow.tx, {transfer_id})
    return rows[0] if rows else fail(Outcome.not_found, f"no transfer {transfer_id!r}")


def _update(uow: UnitOfWork, row: RowMapping, **values: Any) -> None:
    """Write the transfer's counters and its status, which they decide."""
    merged = {k: int(row[k]) for k in ("quantity", "shipped", "received", "cancelled")}
    merged.update({k: v for k, v in values.items() if k in merged})
    status = transfer_status(merged["quantity"], merged["shipped"], merged["received"],
                             merged["cancelled"])
    tr = t.transfers
    uow.tx.execute(tr.update().where(tr.c.id == row["id"]).values(
        **values, status=status, updated_at=uow.now))


def _answer(uow: UnitOfWork, effects: Effects, row: RowMapping, kind: str, quantity: int) -> Result:
    uow.emit(f"transfer.{kind}", _event(row["id"], row["sku"], row["from_location"],
                                        row["to_location"], quantity))
    effects.transfers.add(row["id"])
    effects.finish({DemandKey.for_transfer(row["id"])})
    uow.flush()
    body = get_transfer(uow.tx, row["id"], uow.today)
    uow.commit()
    return Result(Outcome.ok, body)


def ship_transfer(uow: UnitOfWork, cmd: ShipTransfer) -> Result:
    """Held units at the source leave on-hand there; they arrive on today + transit."""
    row = _transfer(uow, cmd.id)
    if isinstance(row, Result):
        return row
    if cmd.quantity is not None and (error := check_quantity("quantity", cmd.quantity)):
        return error
    if at_source(row) == 0:
        return fail(Outcome.not_open, f"transfer {cmd.id!r} has nothing left at "
                    f"{row['from_location']} to ship")
    effects = Effects(uow, "transfer_shipped")
    source = effects.position(row["sku"], row["from_location"])
    demand = source.demands[DemandKey.for_transfer(cmd.id)]
    quantity = demand.held if cmd.quantity is None else cmd.quantity
    if quantity == 0 or quantity > demand.held:
        return fail(Outcome.not_held, f"{demand.held} units of transfer {cmd.id!r} are held at "
                    f"{row['from_location']}; only held units ship", "quantity")
    # From here on the shipment must succeed.
    source.ship(demand, quantity)
    ledger(uow, row["sku"], row["from_location"], -quantity, "transfer_out", cmd.id)
    _update(uow, row, shipped=int(row["shipped"]) + quantity, shipped_on=uow.today)
    return _answer(uow, effects, row, "shipped", quantity)


def receive_transfer(uow: UnitOfWork, cmd: ReceiveTransfer) -> Result:
    """Units in transit, and only those, join on-hand at the destination (rule 5)."""
    row = _transfer(uow, cmd.id)
    if isinstance(row, Result):
        return row
    if cmd.quantity is not None and (error := check_quantity("quantity", cmd.quantity)):
        return error
    travelling = in_transit(row)
    quantity = travelling if cmd.quantity is None else cmd.quantity
    if quantity == 0 or quantity > travelling:
        return fail(Outcome.exceeds_open, f"{travelling} units of transfer {cmd.id!r} are in "
                    "transit; only units in transit can be received", "quantity")
    effects = Effects(uow, "transfer_received")
    destination = effects.position(row["sku"], row["to_location"])
    # From here on the receipt must succeed.
    destination.receive(cmd.id, quantity)
    ledger(uow, row["sku"], row["to_location"], quantity, "transfer_in", cmd.id)
    received = int(row["received"]) + quantity
    _update(uow, row, received=received)
    r = t.receipts
    uow.tx.execute(r.update().where(r.c.sku == row["sku"], r.c.id == cmd.id).values(
        received=received, updated_at=uow.now))
    uow.emit("receipt.received", {"receipt": cmd.id, "received_now": quantity, "transfer": cmd.id,
                                  **receipt_event_fields(get_receipt(uow.tx, cmd.id))})
    return _answer(uow, effects, row, "received", quantity)


def cancel_transfer(uow: UnitOfWork, cmd: CancelTransfer) -> Result:
    """What has not shipped is given back at the source and leaves the receipt."""
    row = _transfer(uow, cmd.id)
    if isinstance(row, Result):
        return row
    left = at_source(row)
    if left == 0:
        return fail(Outcome.not_open, f"transfer {cmd.id!r} has nothing left at "
                    f"{row['from_location']} to cancel")
    effects = Effects(uow, "transfer_cancelled")
    source = effects.position(row["sku"], row["from_location"])
    # From here on the cancel must succeed.
    source.cancel(source.demands[DemandKey.for_transfer(cmd.id)], left)
    _update(uow, row, cancelled=int(row["cancelled"]) + left)
    return _answer(uow, effects, row, "cancelled", left)


def follow_the_calendar(uow: UnitOfWork) -> int:
    """A new day moves what the calendar alone moves at a transfer's source: its
    held units, not shipped, are promised today there, so they arrive today +
    transit (and so on for units pegged to a late receipt, dated today). Every
    transfer with units at its source moves its receipt at the destination
    (``Effects``), and those waiting there hear of it. Returns how many
    transfers were looked at."""
    tr = t.transfers.c
    rows = uow.tx.execute(
        select(tr.id, tr.sku, tr.from_location, tr.to_location)
        .where(tr.status.in_(("open", "in_transit")), tr.quantity > tr.shipped + tr.cancelled)
    ).all()
    if not rows:
        return 0
    uow.lock(sorted({(sku, code) for _, sku, origin, destination in rows
                     for code in (origin, destination)}))
    effects = Effects(uow, "transfer_not_shipped")
    effects.transfers.update(tid for tid, *_ in rows)
    effects.finish()
    return len(rows)
