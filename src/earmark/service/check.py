"""``earmark check``: recompute every invariant of DESIGN.md from the stored
rows and the stock ledger, and name each position that breaks one.

The ledger is the truth: on-hand must equal the sum of its entries; every
stored counter (``positions.on_hand``, ``order_lines.allocated`` and
``order_lines.open``) must equal what the ledger and the pegs imply.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, tuple_

from earmark.domain.outcomes import InvariantViolation
from earmark.domain.position import ON_HAND, DemandKey, DemandKind
from earmark.service.uow import Store, UnitOfWork
from earmark.store import tables as t
from earmark.store.repository import load_position


@dataclass(frozen=True)
class Finding:
    sku: str
    location: str
    problem: str

    def __str__(self) -> str:
        return f"{self.sku} @ {self.location}: {self.problem}"


def check_store(store: Store) -> tuple[int, list[Finding]]:
    """(positions checked, findings). No findings means every invariant holds."""
    findings: list[Finding] = []
    with store.unit_of_work(write=False) as uow:
        tx = uow.tx
        ledger = {
            (sku, loc): int(total)
            for sku, loc, total in tx.execute(
                select(t.stock_ledger.c.sku, t.stock_ledger.c.location,
                       func.sum(t.stock_ledger.c.quantity))
                .group_by(t.stock_ledger.c.sku, t.stock_ledger.c.location)
            ).all()
        }
        keys = [tuple(r) for r in tx.execute(
            select(t.positions.c.sku, t.positions.c.location)
            .order_by(t.positions.c.sku, t.positions.c.location)
        ).all()]
        for sku, location in ledger:
            if (sku, location) not in keys:
                findings.append(Finding(sku, location, "ledger entries without a position row"))
        for sku, location in keys:
            findings.extend(_check_position(uow, sku, location, ledger.get((sku, location), 0)))
        findings.extend(_check_parts(uow))
    return len(keys), findings


SHARED_BY_PARTS = ("sku", "ship_to", "split", "idx", "seq", "account", "requested_date", "backorder")
"""What the parts of one line have in common: everything but their location and counts."""


def _check_parts(uow: UnitOfWork) -> list[Finding]:
    """The parts of a line: a line placed by location has exactly one (with no
    transit); those of a line placed by ship_to agree on what is the line's.
    (Each part's units and counters are checked with its position.)"""
    ol = t.order_lines
    several = select(ol.c.order_id, ol.c.line).group_by(ol.c.order_id, ol.c.line).having(
        func.count() > 1)
    rows = uow.tx.execute(
        select(ol).where(or_(ol.c.ship_to.is_not(None), ol.c.transit_days != 0,
                             tuple_(ol.c.order_id, ol.c.line).in_(several)))
        .order_by(ol.c.order_id, ol.c.line, ol.c.location)
    ).mappings().all()
    lines: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in rows:
        lines[(row["order_id"], row["line"])].append(row)
    found: list[Finding] = []
    for (order_id, line), parts in lines.items():
        first = parts[0]
        name = f"line {order_id}/{line}"

        def say(problem: str, row: Any = first) -> None:
            found.append(Finding(row["sku"], row["location"], problem))

        if first["ship_to"] is None:
            if len(parts) > 1:
                say(f"{name} is placed by location but has {len(parts)} parts")
            for row in parts:
                if int(row["transit_days"]) != 0:
                    say(f"{name} is placed by location but its part has transit "
                        f"{row['transit_days']} days", row)
        for row in parts[1:]:
            differ = [column for column in SHARED_BY_PARTS if row[column] != first[column]]
            if differ:
                say(f"{name}: its parts at {first['location']} and {row['location']} differ in "
                    + ", ".join(differ), row)
    return found


def _check_position(uow: UnitOfWork, sku: str, location: str, ledger_total: int) -> list[Finding]:
    tx = uow.tx
    found: list[Finding] = []

    def say(problem: str) -> None:
        found.append(Finding(sku, location, problem))

    try:
        loaded = load_position(tx, sku, location, uow.today)
    except (InvariantViolation, KeyError) as error:
        say(f"cannot be loaded: {error}")
        return found
    position = loaded.position
    if position.on_hand != ledger_total:
        say(f"on-hand counter {position.on_hand} != ledger sum {ledger_total} "
            f"(difference {position.on_hand - ledger_total})")
    for problem in position.violations():
        say(problem)
    counted = position.pegged_by_bucket()
    held = tx.execute(select(t.positions.c.held).where(
        t.positions.c.sku == sku, t.positions.c.location == location)).scalar_one()
    if int(held) != counted[ON_HAND]:
        say(f"held counter {held} != units pegged to on-hand {counted[ON_HAND]}")
    for rid, pegged, status in tx.execute(
        select(t.receipts.c.id, t.receipts.c.pegged, t.receipts.c.status)
        .where(t.receipts.c.sku == sku, t.receipts.c.location == location)
    ).all():
        expected = counted.get(rid, 0) if status == "open" else 0
        if int(pegged) != expected:
            say(f"receipt {rid} pegged counter {pegged} != units pegged to it {expected}")

    lines = tx.execute(
        select(t.order_lines).where(t.order_lines.c.sku == sku, t.order_lines.c.location == location)
    ).mappings().all()
    for row in lines:
        name = f"line {row['order_id']}/{row['line']}"
        open_units = int(row["quantity"]) - int(row["shipped"]) - int(row["cancelled"])
        if open_units < 0:
            say(f"{name} ships and cancels more than its quantity")
        if int(row["open"]) != open_units:
            say(f"{name} open counter {row['open']} != quantity - shipped - cancelled {open_units}")
        demand = position.demands.get(DemandKey.for_line(row["order_id"], row["line"]))
        held = demand.held if demand else 0
        if int(row["allocated"]) != held:
            say(f"{name} allocated counter {row['allocated']} != held pegs {held}")
        if demand is None and open_units > 0:
            say(f"{name} has {open_units} open units but is not demand of the position")

    for row in tx.execute(
        select(t.commitments).where(t.commitments.c.sku == sku, t.commitments.c.location == location)
    ).mappings():
        used = int(row["consumed"]) + int(row["released"])
        if used > int(row["quantity"]):
            say(f"commitment {row['id']} consumed + released {used} > quantity {row['quantity']}")
        if row["status"] == "open" and used == int(row["quantity"]):
            say(f"commitment {row['id']} is open with nothing remaining")
        if row["status"] != "open" and used != int(row["quantity"]):
            say(f"commitment {row['id']} is {row['status']} with units remaining")

    # Pegs of demands that are not open, or to buckets that are gone, are lost units.
    known = set(position.demands)
    stray: dict[str, int] = defaultdict(int)
    for kind, ref, line, bucket, quantity in tx.execute(
        select(t.pegs.c.demand_kind, t.pegs.c.demand_ref, t.pegs.c.demand_line, t.pegs.c.bucket,
               t.pegs.c.quantity)
        .where(t.pegs.c.sku == sku, t.pegs.c.location == location)
    ).all():
        if DemandKey(DemandKind(kind), ref, line) not in known:
            stray[f"{kind} {ref}/{line}".rstrip("/")] += int(quantity)
        if bucket != ON_HAND and bucket not in position.buckets:
            say(f"peg of {ref} to closed receipt {bucket}")
    for name, quantity in stray.items():
        say(f"{quantity} units pegged to {name}, which has no open units")
    return found
