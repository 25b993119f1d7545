"""Order commands: place (rules 2, 7, 8), cancel and ship (rule 9)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from earmark.domain.backorder import BackorderPolicy, in_words
from earmark.domain.events import iso
from earmark.domain.limits import ORDER_LINES_MAX
from earmark.domain.network import ShipToLine, delivered
from earmark.domain.outcomes import InvariantViolation, Outcome
from earmark.domain.position import Demand, DemandKey, Position, Promise
from earmark.service.effects import Effects
from earmark.service.parts import StoredPlaces, TrialPlaces, candidate_positions, place_line
from earmark.service.queries import Consumed, PartKey, assemble_orders, get_order
from earmark.service.results import Result, fail, invalid
from earmark.service.supply import ledger
from earmark.service.uow import UnitOfWork
from earmark.service.validation import (
    answer_to_twin,
    check_id,
    check_quantity,
    need_account,
    need_item,
    need_location,
    resolve_location,
)
from earmark.store import tables as t

LAST_ARRIVAL = 2**62
"""Arrival rank of a line that is only being tried (it arrives after everything)."""


@dataclass(frozen=True)
class LineIn:
    line: str
    sku: str
    quantity: int
    location: str | None = None
    requested_date: date | None = None
    backorder: str | None = None
    ship_to: str | None = None
    split: bool = False


@dataclass(frozen=True)
class PlaceOrder:
    id: str
    account: str
    lines: list[LineIn]


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


@dataclass(frozen=True)
class PlannedLine:
    """A line after its checks: everything needed to place it."""

    idx: int
    line: str
    sku: str
    location: str | None
    """None for a line placed by ``ship_to``: its parts' locations are planned."""
    quantity: int
    requested_date: date
    policy: BackorderPolicy
    ship_to: str | None = None
    split: bool = False

    def lock_keys(self, uow: UnitOfWork) -> list[tuple[str, str]]:
        """The positions the line may be placed at or planned on."""
        if self.location is not None:
            return [(self.sku, self.location)]
        return candidate_positions(uow, self.sku, self.ship_to or "")


def _request(cmd: PlaceOrder) -> dict[str, Any]:
    return {"account": cmd.account, "lines": [_line_request(ln) for ln in cmd.lines]}


def _line_request(ln: LineIn) -> dict[str, Any]:
    request = {"line": ln.line, "sku": ln.sku, "quantity": ln.quantity, "location": ln.location,
               "requested_date": iso(ln.requested_date), "backorder": ln.backorder}
    # Only where given, so that the requests of orders stored before the
    # network still compare equal to their replays.
    if ln.ship_to is not None:
        request["ship_to"] = ln.ship_to
    if ln.split:
        request["split"] = True
    return request


def check_order(uow: UnitOfWork, cmd: PlaceOrder) -> tuple[list[PlannedLine], Result | None]:
    """Every check of an order that needs no position: ids, limits, master data."""
    if error := check_id("id", cmd.id):
        return [], error
    if error := check_id("account", cmd.account):
        return [], error
    if not cmd.lines:
        return [], invalid("lines", "an order needs at least one line")
    if len(cmd.lines) > ORDER_LINES_MAX:
        return [], invalid("lines", f"an order has at most {ORDER_LINES_MAX} lines")
    if error := need_account(uow, cmd.account):
        return [], error
    planned: list[PlannedLine] = []
    seen: set[str] = set()
    for idx, ln in enumerate(cmd.lines):
        where = f"lines[{idx}]"
        if error := check_id(f"{where}.line", ln.line):
            return [], error
        if ln.line in seen:
            return [], invalid(f"{where}.line", f"line {ln.line!r} appears twice")
        seen.add(ln.line)
        if error := check_quantity(f"{where}.quantity", ln.quantity):
            return [], error
        item, error = need_item(uow, ln.sku, f"{where}.sku")
        if error or item is None:
            return [], error
        location: str | None = None
        if ln.ship_to is not None:
            if ln.location is not None:
                return [], invalid(f"{where}.ship_to",
                                   "a line names either location or ship_to, not both")
            if error := need_location(uow, ln.ship_to, f"{where}.ship_to"):
                return [], error
        else:
            location, error = resolve_location(uow, ln.location, f"{where}.location")
            if error:
                return [], error
        try:
            policy = BackorderPolicy(ln.backorder or item["backorders"])
        except ValueError:
            return [], invalid(f"{where}.backorder", f"must be {in_words(BackorderPolicy)}")
        planned.append(
            PlannedLine(idx, ln.line, ln.sku, location, ln.quantity,
                        ln.requested_date or uow.today, policy, ln.ship_to, ln.split)
        )
    return planned, None


def _replay(uow: UnitOfWork, cmd: PlaceOrder) -> Result | None:
    """The answer to an order id that exists: the order itself, or a conflict."""
    stored = uow.staged_request(cmd.id)
    if stored is None:
        stored = uow.stored_order_request(cmd.id)
    return answer_to_twin("order", cmd.id, stored, _request(cmd),
                          lambda: get_order(uow.tx, cmd.id, uow.today))


def place_order(uow: UnitOfWork, cmd: PlaceOrder) -> Result:
    # Placing reads nothing that staged writes could change (it uses the raw
    # connection) and stages its own rows: a batch of orders writes them together.
    planned, error = check_order(uow, cmd)
    if error:
        # An identical replay of an existing order is never refused.
        return _replay(uow, cmd) or error
    # Every position a line may be planned on is locked before planning, in
    # (sku, location) order; only the positions lines are placed at are created.
    uow.lock(sorted({key for p in planned for key in p.lock_keys(uow)}),
             create=[(p.sku, p.location) for p in planned if p.location is not None])
    # Asked under the locks, so that a twin of this order cannot commit in between.
    if replay := _replay(uow, cmd):
        return replay
    priority = uow.master.priority(cmd.account) or 0

    def line_of(p: PlannedLine, seq: int) -> ShipToLine:
        return ShipToLine(DemandKey.for_line(cmd.id, p.line), cmd.account, (priority, seq, p.idx),
                          p.requested_date, p.quantity, p.ship_to or p.location or "", p.policy,
                          p.split)

    if any(p.policy is BackorderPolicy.reject for p in planned):
        trials: dict[str, TrialPlaces] = {}
        for p in planned:
            if p.sku not in trials:
                trials[p.sku] = TrialPlaces.of(StoredPlaces(uow, p.sku, cmd.account))
            tried = place_line(trials[p.sku], line_of(p, LAST_ARRIVAL), p.location)
            cancelled = sum(part.placed.cancelled for part in tried)
            if p.policy is BackorderPolicy.reject and cancelled > 0:
                return fail(
                    Outcome.rejected_not_available,
                    f"line {p.line!r}: only {p.quantity - cancelled} of {p.quantity} "
                    "can be allocated now, and the line says backorder 'reject'",
                    f"lines[{p.idx}].quantity",
                )

    # From here on the order must succeed.
    seq = uow.next_number("demand")
    effects = Effects(uow, "order_placed")
    for p in planned:
        if p.location is not None:
            effects.position(p.sku, p.location)
    order_row = {"id": cmd.id, "account": cmd.account, "status": "open", "seq": seq,
                 "request": _request(cmd), "created_at": uow.now, "updated_at": uow.now,
                 "ordered_on": uow.today}
    line_rows: list[dict[str, Any]] = []
    staged_lines: list[dict[str, Any]] = []
    own: set[DemandKey] = set()
    known: dict[PartKey, list[Promise]] = {}
    placed_parts: list[tuple[str, Position, Demand]] = []
    consumed: Consumed = {}
    any_open = False
    places: dict[str, StoredPlaces] = {}
    for p in planned:
        if p.sku not in places:
            places[p.sku] = StoredPlaces(uow, p.sku, cmd.account, effects.position)
        line = line_of(p, seq)
        own.add(line.key)
        for placed in place_line(places[p.sku], line, p.location):
            part, position, demand = placed.part, placed.position, placed.demand
            cancelled = placed.placed.cancelled
            line_row = {
                "order_id": cmd.id, "line": p.line, "sku": p.sku, "location": part.location,
                "idx": p.idx, "account": cmd.account, "seq": seq, "quantity": part.quantity,
                "shipped": 0, "cancelled": cancelled, "allocated": 0,
                "requested_date": p.requested_date, "backorder": p.policy.value,
                "open": part.quantity - cancelled, "ship_to": p.ship_to, "split": p.split,
                "transit_days": part.transit_days,
            }
            staged_lines.append(line_row)
            line_rows.append({**line_row, "allocated": demand.held, "priority": priority})
            for commitment, n in placed.placed.consumed:
                _consume_commitment(uow, commitment, cmd.id, p.line, p.sku, part.location, n)
            if placed.placed.consumed:
                consumed.setdefault((cmd.id, p.line), []).extend(
                    {"commitment": commitment.key.ref, "quantity": n}
                    for commitment, n in placed.placed.consumed)
            where = {"order": cmd.id, "line": p.line, "sku": p.sku, "location": part.location}
            if demand.held > 0:
                uow.emit("order.allocated", {**where, "quantity": demand.held})
            backordered = demand.quantity - demand.held
            if backordered > 0:
                promised = delivered(position.promised_date(demand), part.transit_days)
                uow.emit("order.backordered", {**where, "quantity": backordered,
                                               "promised_date": iso(promised)})
            if cancelled > 0:
                uow.emit("order.cancelled", _line_event(cmd.id, p.line, part.location,
                                                        p.ship_to, cancelled))
            any_open = any_open or demand.quantity > 0
            known[(demand.key, part.location)] = position.promises(demand)
            placed_parts.append((p.line, position, demand))
    if not any_open:
        order_row["status"] = "closed"
    uow.stage_order(order_row, staged_lines)
    effects.finish(own)
    # The answer is built from what was just written: no need to read it back.
    queue = {
        (cmd.id, line, position.location): place
        for line, position, demand in placed_parts
        if (place := position.queue_position(demand)) is not None
    }
    body = assemble_orders([order_row], line_rows, known, queue, consumed)[0]
    uow.stage_commit()
    return Result(Outcome.created, body)


def _line_event(order_id: str, line: str, location: str, ship_to: str | None,
                quantity: int) -> dict[str, Any]:
    """``order.shipped`` and ``order.cancelled``: a line placed by ship_to also
    names the part's location (a line placed by location has one part)."""
    data: dict[str, Any] = {"order": order_id, "line": line}
    if ship_to is not None:
        data["location"] = location
    data["quantity"] = quantity
    return data


def _consume_commitment(uow: UnitOfWork, commitment: Demand, order_id: str, line: str,
                        sku: str, location: str, n: int) -> None:
    c = t.commitments
    uow.raw.execute(
        c.update().where(c.c.sku == sku, c.c.id == commitment.key.ref).values(
            consumed=c.c.consumed + n, updated_at=uow.now,
            status="consumed" if commitment.quantity == 0 else "open",
        )
    )
    uow.raw.execute(t.consumptions.insert().values(
        sku=sku, location=location, commitment_id=commitment.key.ref,
        order_id=order_id, line=line, quantity=n,
    ))
    uow.emit("commitment.consumed", {
        "commitment": commitment.key.ref, "order": order_id, "line": line,
        "quantity": n, "remaining": commitment.quantity,
    })


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
    uow.emit("order.cancelled", _line_event(row["order_id"], row["line"], row["location"],
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
        uow.emit("order.shipped", _line_event(cmd.id, row["line"], row["location"], row["ship_to"],
                                              quantity))
    return _settled(uow, effects, cmd.id, own)


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
