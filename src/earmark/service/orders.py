"""Order commands: place (rules 2, 7, 8), cancel and ship (rule 9)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from earmark.domain.backorder import BackorderPolicy, in_words
from earmark.domain.events import iso
from earmark.domain.limits import ORDER_LINES_MAX
from earmark.domain.outcomes import InvariantViolation, Outcome
from earmark.domain.position import Demand, DemandKey, Position, Promise
from earmark.service.effects import Effects
from earmark.service.queries import Consumed, assemble_orders, get_order
from earmark.service.results import Result, fail, invalid
from earmark.service.supply import ledger
from earmark.service.uow import UnitOfWork
from earmark.service.validation import (
    answer_to_twin,
    check_id,
    check_quantity,
    need_account,
    need_item,
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


@dataclass(frozen=True)
class PlaceOrder:
    id: str
    account: str
    lines: list[LineIn]


@dataclass(frozen=True)
class LineQuantity:
    line: str
    quantity: int | None = None


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
    location: str
    quantity: int
    requested_date: date
    policy: BackorderPolicy


def _request(cmd: PlaceOrder) -> dict[str, Any]:
    return {
        "account": cmd.account,
        "lines": [
            {"line": ln.line, "sku": ln.sku, "quantity": ln.quantity, "location": ln.location,
             "requested_date": iso(ln.requested_date), "backorder": ln.backorder}
            for ln in cmd.lines
        ],
    }


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
        location, error = resolve_location(uow, ln.location, f"{where}.location")
        if error:
            return [], error
        try:
            policy = BackorderPolicy(ln.backorder or item["backorders"])
        except ValueError:
            return [], invalid(f"{where}.backorder", f"must be {in_words(BackorderPolicy)}")
        planned.append(
            PlannedLine(idx, ln.line, ln.sku, location, ln.quantity,
                        ln.requested_date or uow.today, policy)
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
    uow.lock([(p.sku, p.location) for p in planned])
    # Asked under the locks, so that a twin of this order cannot commit in between.
    if replay := _replay(uow, cmd):
        return replay
    priority = uow.master.priority(cmd.account) or 0
    def demand_of(p: PlannedLine, seq: int) -> Demand:
        return Demand(DemandKey.for_line(cmd.id, p.line), cmd.account, (priority, seq, p.idx),
                      p.requested_date, p.quantity)

    if any(p.policy is BackorderPolicy.reject for p in planned):
        trial: dict[tuple[str, str], Position] = {}
        for p in planned:
            key = (p.sku, p.location)
            if key not in trial:
                whole = uow.position(*key)
                trial[key] = whole.trial(whole.commitments_of(cmd.account))
            position = trial[key]
            placed = position.place_line(demand_of(p, LAST_ARRIVAL), position.commitments_of(cmd.account),
                                         p.policy)
            if p.policy is BackorderPolicy.reject and placed.cancelled > 0:
                return fail(
                    Outcome.rejected_not_available,
                    f"line {p.line!r}: only {p.quantity - placed.cancelled} of {p.quantity} "
                    "can be allocated now, and the line says backorder 'reject'",
                    f"lines[{p.idx}].quantity",
                )

    # From here on the order must succeed.
    seq = uow.next_number("demand")
    effects = Effects(uow, "order_placed")
    for p in planned:
        effects.position(p.sku, p.location)
    order_row = {"id": cmd.id, "account": cmd.account, "status": "open", "seq": seq,
                 "request": _request(cmd), "created_at": uow.now, "updated_at": uow.now,
                 "ordered_on": uow.today}
    line_rows: list[dict[str, Any]] = []
    staged_lines: list[dict[str, Any]] = []
    own: set[DemandKey] = set()
    known: dict[DemandKey, list[Promise]] = {}
    placed_lines: list[tuple[Position, Demand]] = []
    consumed: Consumed = {}
    any_open = False
    for p in planned:
        position = effects.position(p.sku, p.location)
        demand = demand_of(p, seq)
        own.add(demand.key)
        placed = position.place_line(demand, position.commitments_of(cmd.account), p.policy)
        line_row = {
            "order_id": cmd.id, "line": p.line, "sku": p.sku, "location": p.location,
            "idx": p.idx, "account": cmd.account, "seq": seq, "quantity": p.quantity,
            "shipped": 0, "cancelled": placed.cancelled, "allocated": 0,
            "requested_date": p.requested_date, "backorder": p.policy.value,
            "open": p.quantity - placed.cancelled,
        }
        staged_lines.append(line_row)
        line_rows.append({**line_row, "allocated": demand.held, "priority": priority})
        where = {"order": cmd.id, "line": p.line, "sku": p.sku, "location": p.location}
        for commitment, n in placed.consumed:
            _consume_commitment(uow, commitment, cmd.id, p, n)
        if placed.consumed:
            consumed[(cmd.id, p.line)] = [{"commitment": commitment.key.ref, "quantity": n}
                                          for commitment, n in placed.consumed]
        if demand.held > 0:
            uow.emit("order.allocated", {**where, "quantity": demand.held})
        backordered = demand.quantity - demand.held
        if backordered > 0:
            uow.emit("order.backordered", {**where, "quantity": backordered,
                                           "promised_date": iso(position.promised_date(demand))})
        if placed.cancelled > 0:
            uow.emit("order.cancelled", {"order": cmd.id, "line": p.line,
                                         "quantity": placed.cancelled})
        any_open = any_open or demand.quantity > 0
        known[demand.key] = position.promises(demand)
        placed_lines.append((position, demand))
    if not any_open:
        order_row["status"] = "closed"
    uow.stage_order(order_row, staged_lines)
    effects.finish(own)
    # The answer is built from what was just written: no need to read it back.
    queue = {
        (cmd.id, demand.key.line): place
        for position, demand in placed_lines
        if (place := position.queue_position(demand)) is not None
    }
    body = assemble_orders([order_row], line_rows, known, queue, consumed)[0]
    uow.stage_commit()
    return Result(Outcome.created, body)


def _consume_commitment(uow: UnitOfWork, commitment: Demand, order_id: str,
                        p: PlannedLine, n: int) -> None:
    c = t.commitments
    uow.raw.execute(
        c.update().where(c.c.sku == p.sku, c.c.id == commitment.key.ref).values(
            consumed=c.c.consumed + n, updated_at=uow.now,
            status="consumed" if commitment.quantity == 0 else "open",
        )
    )
    uow.raw.execute(t.consumptions.insert().values(
        sku=p.sku, location=p.location, commitment_id=commitment.key.ref,
        order_id=order_id, line=p.line, quantity=n,
    ))
    uow.emit("commitment.consumed", {
        "commitment": commitment.key.ref, "order": order_id, "line": p.line,
        "quantity": n, "remaining": commitment.quantity,
    })


def _order_lines(uow: UnitOfWork, order_id: str) -> dict[str, Any]:
    rows = uow.tx.execute(
        select(t.order_lines).where(t.order_lines.c.order_id == order_id)
        .order_by(t.order_lines.c.idx)
    ).mappings().all()
    return {r["line"]: r for r in rows}


def _selected(
    lines: dict[str, Any], wanted: list[LineQuantity] | None, *, default_all: bool
) -> tuple[list[tuple[Any, int | None]], Result | None]:
    if wanted is None:
        return ([(row, None) for row in lines.values()] if default_all else []), None
    chosen: list[tuple[Any, int | None]] = []
    seen: set[str] = set()
    for idx, item in enumerate(wanted):
        if item.line not in lines:
            return [], invalid(f"lines[{idx}].line", f"the order has no line {item.line!r}")
        if item.line in seen:
            return [], invalid(f"lines[{idx}].line", f"line {item.line!r} appears twice")
        seen.add(item.line)
        if item.quantity is not None and (
            error := check_quantity(f"lines[{idx}].quantity", item.quantity)
        ):
            return [], error
        chosen.append((lines[item.line], item.quantity))
    return chosen, None


def _locked(
    uow: UnitOfWork, order_id: str, chosen: list[tuple[Any, int | None]]
) -> tuple[dict[str, Any], list[tuple[Any, int | None]]]:
    """Lock the positions of the chosen lines, then read the order's lines again.

    What is open or held may have changed between the first read and the
    lock (a concurrent cancel or ship of the same order); only the rows
    read under the lock may be checked, so a lost race ends as a conflict
    and never reaches a position with stale counts. A line's sku and
    location never change, so the first read is enough to know what to lock.
    """
    uow.lock(sorted({(row["sku"], row["location"]) for row, _ in chosen}))
    lines = _order_lines(uow, order_id)
    return lines, [(lines[row["line"]], quantity) for row, quantity in chosen]


def cancel_order(uow: UnitOfWork, cmd: CancelOrder) -> Result:
    tx = uow.tx
    order = tx.execute(select(t.orders).where(t.orders.c.id == cmd.id)).mappings().first()
    if order is None:
        return fail(Outcome.not_found, f"no order {cmd.id!r}")
    lines = _order_lines(uow, cmd.id)
    chosen, error = _selected(lines, cmd.lines, default_all=True)
    if error:
        return error
    lines, chosen = _locked(uow, cmd.id, chosen)
    for row, quantity in chosen:
        if quantity is not None and quantity > int(row["open"]):
            return fail(Outcome.exceeds_open,
                        f"line {row['line']!r} has {row['open']} open units, not {quantity}",
                        "quantity")
    effects = Effects(uow, "order_cancelled")
    for row, _ in chosen:
        effects.position(row["sku"], row["location"])
    # From here on the command must succeed.
    own = {DemandKey.for_line(cmd.id, line) for line in lines}
    for row, quantity in chosen:
        n = int(row["open"]) if quantity is None else quantity
        if n == 0:
            continue
        position = effects.position(row["sku"], row["location"])
        refill = _consumed_commitments(uow, position, row)
        returned = position.cancel(position.demands[DemandKey.for_line(cmd.id, row["line"])], n,
                                   refill)
        for commitment, k in returned:
            _unconsume(uow, row, commitment, k)
        ol = t.order_lines
        tx.execute(ol.update().where(ol.c.sku == row["sku"], ol.c.order_id == cmd.id,
                                     ol.c.line == row["line"]).values(
            cancelled=ol.c.cancelled + n, open=ol.c.open - n,
        ))
        uow.emit("order.cancelled", {"order": cmd.id, "line": row["line"], "quantity": n})
    return _settled(uow, effects, cmd.id, own)


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
    for idx, (_, quantity) in enumerate(chosen):
        if quantity is None:
            return invalid(f"lines[{idx}].quantity", "say how many units to ship")
    lines, chosen = _locked(uow, cmd.id, chosen)
    for idx, (row, quantity) in enumerate(chosen):
        if quantity is not None and quantity > int(row["allocated"]):
            return fail(Outcome.not_held,
                        f"line {row['line']!r} has {row['allocated']} allocated units; "
                        f"{quantity} cannot ship", f"lines[{idx}].quantity")
    effects = Effects(uow, "order_shipped")
    for row, _ in chosen:
        effects.position(row["sku"], row["location"])
    # From here on the command must succeed.
    own = {DemandKey.for_line(cmd.id, line) for line in lines}
    for row, quantity in chosen:
        if not quantity:
            continue
        position = effects.position(row["sku"], row["location"])
        shipped = position.ship(position.demands[DemandKey.for_line(cmd.id, row["line"])], quantity)
        if not shipped:
            raise InvariantViolation("allocated counter and held pegs disagree")
        ol = t.order_lines
        tx.execute(ol.update().where(ol.c.sku == row["sku"], ol.c.order_id == cmd.id,
                                     ol.c.line == row["line"]).values(
            shipped=ol.c.shipped + quantity, open=ol.c.open - quantity,
        ))
        ledger(uow, row["sku"], row["location"], -quantity, "shipment", f"{cmd.id}/{row['line']}")
        uow.emit("order.shipped", {"order": cmd.id, "line": row["line"], "quantity": quantity})
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
        .where(k.c.sku == row["sku"], k.c.order_id == row["order_id"], k.c.line == row["line"],
               c.c.sku == row["sku"], c.c.status.in_(("open", "consumed")),
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
