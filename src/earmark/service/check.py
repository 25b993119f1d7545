"""``earmark check``: recompute every invariant of DESIGN.md from the stored
rows and the stock ledger, and name each position that breaks one.

The ledger is the truth: on-hand must equal the sum of its entries; every
stored counter (``positions.on_hand``, ``order_lines.allocated`` and
``order_lines.open``) must equal what the ledger and the pegs imply.

A transfer moves units without making or losing any: what it shipped left
its source by ``transfer_out`` entries and what it received reached its
destination by ``transfer_in`` entries; its receipt at the destination
holds what it has pegged at the source plus what is in transit, dated as
they arrive (DESIGN.md, "Network promising").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.engine import RowMapping

from earmark.domain.outcomes import InvariantViolation
from earmark.domain.position import ON_HAND, DemandKey, DemandKind, Position
from earmark.domain.transfers import destination_supply, transfer_status
from earmark.service.transit import at_source, in_transit
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
    for row in tx.execute(select(t.transfers).where(
            t.transfers.c.sku == sku, t.transfers.c.from_location == location)).mappings():
        for problem in _transfer_problems(uow, position, row):
            say(f"transfer {row['id']}: {problem}")
    return found


def _transfer_problems(uow: UnitOfWork, source: Position, row: RowMapping) -> list[str]:
    """What is wrong with a transfer out of ``source``: its counters, its ledger
    entries, and its receipt at the destination."""
    tx = uow.tx
    problems: list[str] = []
    tid = row["id"]
    quantity, shipped = int(row["quantity"]), int(row["shipped"])
    received, cancelled = int(row["received"]), int(row["cancelled"])
    if shipped + cancelled > quantity or received > shipped or min(shipped, received,
                                                                    cancelled) < 0:
        problems.append(f"quantity {quantity}, shipped {shipped}, received {received} and "
                        f"cancelled {cancelled} do not add up")
    status = transfer_status(quantity, shipped, received, cancelled)
    if row["status"] != status:
        problems.append(f"status {row['status']!r}, its counters say {status!r}")
    sl = t.stock_ledger.c
    moved = dict(tx.execute(
        select(sl.reason, func.sum(sl.quantity))
        .where(sl.sku == row["sku"], sl.ref == tid, sl.reason.in_(("transfer_out", "transfer_in")))
        .group_by(sl.reason)).all())
    if int(moved.get("transfer_out") or 0) != -shipped:
        problems.append(f"shipped {shipped} but the ledger took {-int(moved.get('transfer_out') or 0)} "
                        "out of its source")
    if int(moved.get("transfer_in") or 0) != received:
        problems.append(f"received {received} but the ledger brought "
                        f"{int(moved.get('transfer_in') or 0)} into its destination")
    receipt = tx.execute(select(t.receipts).where(
        t.receipts.c.sku == row["sku"], t.receipts.c.id == tid)).mappings().first()
    if receipt is None or receipt["source"] != "transfer" \
            or receipt["location"] != row["to_location"]:
        return [*problems, f"has no receipt at {row['to_location']}"]
    if int(receipt["received"]) != received:
        problems.append(f"received {received}, its receipt {receipt['received']}")
    live = at_source(row) > 0 or in_transit(row) > 0
    if not live:
        if receipt["status"] == "open":
            problems.append("is done but its receipt is open")
        return problems
    demand = source.demands.get(DemandKey.for_transfer(tid))
    loaded = demand.quantity if demand else 0
    if loaded != at_source(row):
        problems.append(f"has {at_source(row)} units at its source, which loads {loaded}")
    supply = destination_supply(source, demand, in_transit(row), row["shipped_on"],
                                int(row["transit_days"]))
    open_units = int(receipt["quantity"]) - int(receipt["received"])
    if receipt["status"] != "open" or open_units != supply.open:
        problems.append(f"its receipt holds {open_units} ({receipt['status']}), but "
                        f"{supply.open} are pegged at the source or in transit")
    if supply.expected_date is not None and receipt["expected_date"] != supply.expected_date:
        problems.append(f"its receipt is dated {receipt['expected_date']}, but its units arrive "
                        f"{supply.expected_date}")
    return problems
