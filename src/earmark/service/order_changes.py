"""Order commands on placed lines: cancel and ship (rule 9), part by part."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from earmark.domain.network import delivered
from earmark.domain.outcomes import InvariantViolation, Outcome
from earmark.domain.position import Demand, DemandKey, Position
from earmark.service.effects import Effects
from earmark.service.queries import get_order
from earmark.service.results import Result, fail, invalid
from earmark.service.supply import ledger
from earmark.service.uow import UnitOfWork
from earmark.service.validation import check_quantity
from earmark.store import tables as t


@dataclass(frozen=True)
class LineQuantity:
    line: str
    quantity: int | None = None
    location: str | None = None
    """Ship: the part's location (required when the line has several parts)."""


@dataclass(frozen=True)
class CancelOrder:
    id: str
    lines: list[LineQuantity] | None = None


@dataclass(frozen=True)
class ShipOrder:
    id: str
    lines: list[LineQuantity] = field(default_factory=list)


def line_event(order_id: str, line: str, location: str, ship_to: str | None,
               quantity: int) -> dict[str, Any]:
    """``order.shipped`` and ``order.cancelled``: a line placed by ship_to also
    names the part's location (a line placed by location has one part)."""
    data: dict[str, Any] = {"order": order_id, "line": line}
    if ship_to is not None:
        data["location"] = location
    data["quantity"] = quantity
    return data


def _order_lines(uow: UnitOfWork, order_id: str) -> dict[str, list[Any]]:
    """The order's lines, each as its part rows in candidate order (a line
    placed by location has one)."""
    ol = t.order_lines
    rows = uow.tx.execute(
        select(ol).where(ol.c.order_id == order_id).order_by(ol.c.idx, ol.c.transit_days, ol.c.location)
    ).mappings().all()
    lines: dict[str, list[Any]] = {}
    for row in rows:
        lines.setdefault(row["line"], []).append(row)
    return lines


Chosen = list[tuple[str, int | None, str | None]]
"""(line, quantity or None for all, location of the part or None)."""


def _selected(
    lines: dict[str, list[Any]], wanted: list[LineQuantity] | None, *, default_all: bool
) -> tuple[Chosen, Result | None]:
    if wanted is None:
        return ([(line, None, None) for line in lines] if default_all else []), None
    chosen: Chosen = []
    seen: set[tuple[str, str | None]] = set()
    for idx, item in enumerate(wanted):
        if item.line not in lines:
            return [], invalid(f"lines[{idx}].line", f"the order has no line {item.line!r}")
        parts = lines[item.line]
        # A part is named by its location; the one part of a line needs no name.
        location = parts[0]["location"] if item.location is None and len(parts) == 1 else item.location
        if (item.line, location) in seen:
            return [], invalid(f"lines[{idx}].line", f"line {item.line!r} appears twice")
        seen.add((item.line, location))
        if item.quantity is not None and (
            error := check_quantity(f"lines[{idx}].quantity", item.quantity)
        ):
            return [], error
        chosen.append((item.line, item.quantity, item.location))
    return chosen, None


def _part(idx: int, line: str, parts: list[Any], location: str | None) -> tuple[Any, Result | None]:
    """The part of ``line`` that a shipment names (by its location, required
    when the line has several parts)."""
    if location is None:
        if len(parts) > 1:
            where = ", ".join(row["location"] for row in parts)
            return None, invalid(f"lines[{idx}].location",
                                 f"line {line!r} is served from {where}: name the location to ship from")
        return parts[0], None
    for row in parts:
        if row["location"] == location:
            return row, None
    return None, invalid(f"lines[{idx}].location", f"line {line!r} is not served from {location!r}")


def _locked(uow: UnitOfWork, order_id: str, chosen: Chosen,
            lines: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Lock the positions of the chosen lines' parts, then read the order's lines again.

    What is open or held may have changed between the first read and the
    lock (a concurrent cancel or ship of the same order); only the rows
    read under the lock may be checked, so a lost race ends as a conflict
    and never reaches a position with stale counts. A part's sku and
    location never change, so the first read is enough to know what to lock."""
    uow.lock(sorted({(row["sku"], row["location"]) for line, _, _ in chosen for row in lines[line]}))
    return _order_lines(uow, order_id)


def _cancel_order(effects: Effects, parts: list[Any]) -> list[Any]:
    """The open parts of a line in the order cancelling gives them up: the
    latest delivered date first (a unit without a date counts as latest);
    on a tie the farther part first."""
    def latest(row: Any) -> tuple[bool, date, int, str]:
        position = effects.position(row["sku"], row["location"])
        demand = position.demands.get(DemandKey.for_line(row["order_id"], row["line"]))
        day = delivered(position.promised_date(demand), int(row["transit_days"])) if demand else None
        return (day is None, day or date.min, int(row["transit_days"]), row["location"])

    open_parts = [row for row in parts if int(row["open"]) > 0]
    return sorted(open_parts, key=latest, reverse=True) if len(open_parts) > 1 else open_parts


def cancel_order(uow: UnitOfWork, cmd: CancelOrder) -> Result:
    tx = uow.tx
    order = tx.execute(select(t.orders).where(t.orders.c.id == cmd.id)).mappings().first()
    if order is None:
        return fail(Outcome.not_found, f"no order {cmd.id!r}")
    lines = _order_lines(uow, cmd.id)
    chosen, error = _selected(lines, cmd.lines, default_all=True)
    if error:
        return error
    lines = _locked(uow, cmd.id, chosen, lines)
    for line, quantity, _ in chosen:
        open_units = sum(int(row["open"]) for row in lines[line])
        if quantity is not None and quantity > open_units:
            return fail(Outcome.exceeds_open,
                        f"line {line!r} has {open_units} open units, not {quantity}", "quantity")
    effects = Effects(uow, "order_cancelled")
    for line, _, _ in chosen:
        for row in lines[line]:
            effects.position(row["sku"], row["location"])
    # From here on the command must succeed.
    own = {DemandKey.for_line(cmd.id, line) for line in lines}
    for line, quantity, _ in chosen:
        left = sum(int(row["open"]) for row in lines[line]) if quantity is None else quantity
        for row in _cancel_order(effects, lines[line]):
            n = min(left, int(row["open"]))
            if n == 0:
                break
            left -= n
            _cancel_part(uow, effects, row, n)
    return _settled(uow, effects, cmd.id, own)


def _cancel_part(uow: UnitOfWork, effects: Effects, row: Any, n: int) -> None:
    """Rule 9 for ``n`` open units of one part of a line."""
    position = effects.position(row["sku"], row["location"])
    refill = _consumed_commitments(uow, position, row)
    returned = position.cancel(position.demands[DemandKey.for_line(row["order_id"], row["line"])], n,
                               refill)
    for commitment, k in returned:
        _unconsume(uow, row, commitment, k)
    ol = t.order_lines
    uow.tx.execute(ol.update().where(ol.c.sku == row["sku"], ol.c.order_id == row["order_id"],
                                     ol.c.line == row["line"], ol.c.location == row["location"])
                   .values(cancelled=ol.c.cancelled + n, open=ol.c.open - n))
    uow.emit("order.cancelled", line_event(row["order_id"], row["line"], row["location"],
                                            row["ship_to"], n))


def ship_order(uow: UnitOfWork, cmd: ShipOrder) -> Result:
    tx = uow.tx
    order = tx.execute(select(t.orders).where(t.orders.c.id == cmd.id)).mappings().first()
    if order is None:
        return fail(Outcome.not_found, f"no order {cmd.id!r}")
    if not cmd.lines:
        return invalid("lines", "name at least one line to ship")
    lines = _order_lines(uow, cmd.id)
    chosen, error = _selected(lines, cmd.lines, default_all=False)
    if error:
        return error
    named: list[tuple[str, str]] = []
    for idx, (line, quantity, location) in enumerate(chosen):
        if quantity is None:
            return invalid(f"lines[{idx}].quantity", "say how many units to ship")
        row, error = _part(idx, line, lines[line], location)
        if error:
            return error
        named.append((row["sku"], row["location"]))
    uow.lock(sorted(set(named)))
    lines = _order_lines(uow, cmd.id)
    shipments: list[tuple[Any, int]] = []
    for idx, (line, quantity, location) in enumerate(chosen):
        row = _part(idx, line, lines[line], location)[0]
        if quantity is not None and quantity > int(row["allocated"]):
            return fail(Outcome.not_held,
                        f"line {line!r} has {row['allocated']} allocated units"
                        f"{'' if row['ship_to'] is None else ' at ' + row['location']}; "
                        f"{quantity} cannot ship", f"lines[{idx}].quantity")
        shipments.append((row, quantity or 0))
    effects = Effects(uow, "order_shipped")
    for row, _ in shipments:
        effects.position(row["sku"], row["location"])
    # From here on the command must succeed.
    own = {DemandKey.for_line(cmd.id, line) for line in lines}
    for row, quantity in shipments:
        if not quantity:
            continue
        position = effects.position(row["sku"], row["location"])
        shipped = position.ship(position.demands[DemandKey.for_line(cmd.id, row["line"])], quantity)
        if not shipped:
            raise InvariantViolation("allocated counter and held pegs disagree")
        ol = t.order_lines
        tx.execute(ol.update().where(ol.c.sku == row["sku"], ol.c.order_id == cmd.id,
                                     ol.c.line == row["line"], ol.c.location == row["location"])
                   .values(shipped=ol.c.shipped + quantity, open=ol.c.open - quantity))
        ledger(uow, row["sku"], row["location"], -quantity, "shipment", f"{cmd.id}/{row['line']}")
        _record_shipment(uow, row, quantity)
        uow.emit("order.shipped", line_event(cmd.id, row["line"], row["location"], row["ship_to"],
                                              quantity))
    return _settled(uow, effects, cmd.id, own)


def _record_shipment(uow: UnitOfWork, row: Any, quantity: int) -> None:
    """Keep the shipment with the line: the service report measures each
    shipped unit against the line's first promised date (see service.reports)."""
    uow.tx.execute(t.shipments.insert().values(
        sku=row["sku"], location=row["location"], order_id=row["order_id"], line=row["line"],
        account=row["account"], quantity=quantity, shipped_on=uow.today,
        first_promised_date=row["first_promised_date"],
    ))


def _consumed_commitments(uow: UnitOfWork, position: Position, row: Any) -> list[tuple[Demand, int]]:
    """Rule 9: the commitments a line consumed and can give units back to
    (open, or consumed in full; not expired, released or past its expires_on
    day), each with what the line consumed from it, the latest consumption
    first. A commitment consumed in full is no longer demand of the position:
    it joins it again (with nothing remaining) to take its units back."""
    k, c = t.consumptions, t.commitments
    rows = uow.tx.execute(
        select(c.c.id, c.c.account, c.c.need_date, c.c.seq, func.sum(k.c.quantity))
        .join(c, c.c.id == k.c.commitment_id)
        .where(k.c.sku == row["sku"], k.c.location == row["location"],
               k.c.order_id == row["order_id"], k.c.line == row["line"], c.c.sku == row["sku"],
               c.c.status.in_(("open", "consumed")),
               # From its expires_on day on, a commitment takes nothing back.
               or_(c.c.expires_on.is_(None), c.c.expires_on > uow.today))
        .group_by(c.c.id, c.c.account, c.c.need_date, c.c.seq)
        .order_by(func.max(k.c.id).desc())
    ).all()
    refill: list[tuple[Demand, int]] = []
    for commitment_id, account, need_date, seq, consumed in rows:
        if int(consumed) <= 0:
            continue
        key = DemandKey.for_commitment(commitment_id)
        demand = position.demands.get(key)
        if demand is None:
            priority = uow.master.priority(account) or 0
            demand = Demand(key, account, (priority, int(seq), 0), need_date, 0)
            position.load_demand(demand)
        refill.append((demand, int(consumed)))
    return refill


def _unconsume(uow: UnitOfWork, row: Any, commitment: Demand, units: int) -> None:
    """``units`` of ``row``'s line went back to ``commitment``: its ``consumed``
    falls (it is open again) and the line's consumptions shrink, latest first."""
    c, k = t.commitments, t.consumptions
    uow.tx.execute(c.update().where(c.c.sku == row["sku"], c.c.id == commitment.key.ref).values(
        consumed=c.c.consumed - units, status="open", updated_at=uow.now))
    left = units
    for consumption_id, quantity in uow.tx.execute(
        select(k.c.id, k.c.quantity)
        .where(k.c.sku == row["sku"], k.c.commitment_id == commitment.key.ref,
               k.c.order_id == row["order_id"], k.c.line == row["line"])
        .order_by(k.c.id.desc())
    ).all():
        if left <= 0:
            break
        take = min(int(quantity), left)
        left -= take
        if take == int(quantity):
            uow.tx.execute(k.delete().where(k.c.sku == row["sku"], k.c.id == consumption_id))
        else:
            uow.tx.execute(k.update().where(k.c.sku == row["sku"], k.c.id == consumption_id)
                           .values(quantity=k.c.quantity - take))


def _settled(uow: UnitOfWork, effects: Effects, order_id: str, own: set[DemandKey]) -> Result:
    """The end of a command on an existing order: close it if nothing is open,
    tell everyone else, and answer with the order as it now stands."""
    _close_if_done(uow, order_id)
    effects.finish(own)
    uow.flush()
    body = get_order(uow.tx, order_id, uow.today)
    uow.commit()
    return Result(Outcome.ok, body)


def _close_if_done(uow: UnitOfWork, order_id: str) -> None:
    open_lines = uow.tx.execute(
        select(t.order_lines.c.line).where(
            t.order_lines.c.order_id == order_id, t.order_lines.c.open > 0
        ).limit(1)
    ).first()
    if open_lines is None:
        uow.tx.execute(t.orders.update().where(t.orders.c.id == order_id).values(
            status="closed", updated_at=uow.now))
