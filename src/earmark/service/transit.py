"""The chain from a transfer's source to its destination (DESIGN.md, "Network
promising"): the transfer's receipt at the destination follows what the
transfer holds at its source. Units that lose their peg at the source leave
the receipt (lost supply there, rule 4), units pegged again come back
(rule 3), and a date that moves at the source moves the receipt (rule 4's
last part), so a supplier's slip travels through the transfer to the
destination's customers.

:class:`~earmark.service.effects.Effects` runs :func:`follow` for every
transfer a command touched, until nothing more changes; each change at a
destination may touch transfers out of it in turn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from earmark.domain.position import DemandKey, Position
from earmark.domain.transfers import destination_supply
from earmark.service.queries import get_receipt
from earmark.service.uow import UnitOfWork
from earmark.store import tables as t

Watch = Callable[[str, str], Position]
"""(sku, location) -> the position, loaded, locked and watched for consequences."""


def at_source(row: RowMapping) -> int:
    """Units of the transfer still at its source (not shipped, not cancelled)."""
    return int(row["quantity"]) - int(row["shipped"]) - int(row["cancelled"])


def in_transit(row: RowMapping) -> int:
    return int(row["shipped"]) - int(row["received"])


def transfer_rows(tx: Connection, ids: set[str]) -> list[RowMapping]:
    if not ids:
        return []
    return list(tx.execute(
        select(t.transfers).where(t.transfers.c.id.in_(sorted(ids))).order_by(t.transfers.c.id)
    ).mappings())


def receipt_event_fields(body: dict[str, Any] | None) -> dict[str, Any]:
    """What ``receipt.changed`` and ``receipt.received`` say of the receipt."""
    if body is None:
        raise LookupError("a receipt event names a receipt that exists")
    return {k: body[k] for k in ("sku", "location", "quantity", "received", "open",
                                 "expected_date", "status")}


def follow(uow: UnitOfWork, watch: Watch, transfer_ids: set[str]) -> bool:
    """Bring the receipts of these transfers at their destinations in line with
    their sources; True if any receipt changed."""
    if not transfer_ids:
        return False  # the usual case: asks nothing, so staged writes stay staged
    changed = False
    for row in transfer_rows(uow.tx, transfer_ids):
        changed = _follow_one(uow, watch, row) or changed
    return changed


def _follow_one(uow: UnitOfWork, watch: Watch, row: RowMapping) -> bool:
    tid, sku = row["id"], row["sku"]
    destination = watch(sku, row["to_location"])
    bucket = destination.buckets.get(tid)
    if bucket is None:
        return False  # closed: the transfer is done
    received = int(row["received"])
    r = t.receipts
    where = (r.c.sku == sku, r.c.id == tid)
    if at_source(row) == 0 and in_transit(row) == 0:
        destination.close_receipt(tid)
        uow.tx.execute(r.update().where(*where).values(
            quantity=received, status="received" if received > 0 else "cancelled",
            updated_at=uow.now))
        change = "closed"
    else:
        source = demand = None
        if at_source(row) > 0:
            source = watch(sku, row["from_location"])
            demand = source.demands.get(DemandKey.for_transfer(tid))
        supply = destination_supply(source, demand, in_transit(row), row["shipped_on"],
                                    int(row["transit_days"]))
        expected = supply.expected_date or bucket.expected_date
        if bucket.size == supply.open and bucket.expected_date == expected:
            return False
        destination.change_receipt(tid, expected_date=expected, open_quantity=supply.open)
        uow.tx.execute(r.update().where(*where).values(
            quantity=received + supply.open, expected_date=expected, updated_at=uow.now))
        change = "updated"
    body = get_receipt(uow.tx, tid)
    uow.emit("receipt.changed", {"receipt": tid, "change": change, "transfer": tid,
                                 **receipt_event_fields(body)})
    return True
