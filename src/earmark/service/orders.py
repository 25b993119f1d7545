"""Order commands: place (rules 2, 7, 8 and, by ship_to, N1-N3); cancel and ship
(rule 9) are in ``order_changes`` and answer here too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from earmark.domain.backorder import BackorderPolicy, in_words
from earmark.domain.events import iso
from earmark.domain.limits import ORDER_LINES_MAX
from earmark.domain.money import is_money
from earmark.domain.network import ShipToLine, delivered
from earmark.domain.outcomes import Outcome
from earmark.domain.position import Demand, DemandKey, Position, Promise
from earmark.service.confidence import Confidence, receipt_margins, receipts_of
from earmark.service.effects import Effects
from earmark.service.order_changes import CancelOrder as CancelOrder
from earmark.service.order_changes import LineQuantity as LineQuantity
from earmark.service.order_changes import ShipOrder as ShipOrder
from earmark.service.order_changes import cancel_order as cancel_order
from earmark.service.order_changes import line_event
from earmark.service.order_changes import ship_order as ship_order
from earmark.service.parts import StoredPlaces, TrialPlaces, candidate_positions, place_line
from earmark.service.queries import (
    Consumed,
    PartKey,
    assemble_orders,
    get_order,
    line_promises,
    promised_date_of,
)
from earmark.service.results import Result, fail, invalid
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
    unit_price: str | None = None


@dataclass(frozen=True)
class PlaceOrder:
    id: str
    account: str
    lines: list[LineIn]


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
    unit_price: str | None = None

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
    if ln.unit_price is not None:
        request["unit_price"] = ln.unit_price
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
        if ln.unit_price is not None and not is_money(ln.unit_price):
            return [], invalid(f"{where}.unit_price", "must be a decimal string ≥ 0 such as 25.00")
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
                        ln.requested_date or uow.today, policy, ln.ship_to, ln.split,
                        ln.unit_price)
        )
    return planned, None


def _replay(uow: UnitOfWork, cmd: PlaceOrder) -> Result | None:
    """The answer to an order id that exists: the order itself, or a conflict."""
    stored = uow.staged_request(cmd.id)
    if stored is None:
        stored = uow.stored_order_request(cmd.id)
    if stored is None:
        return None
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
    effects = Effects(uow, "order_placed",
                      frozenset(DemandKey.for_line(cmd.id, p.line) for p in planned))
    for p in planned:
        if p.location is not None:
            effects.position(p.sku, p.location)
    order_row = {"id": cmd.id, "account": cmd.account, "status": "open", "seq": seq,
                 "request": _request(cmd), "created_at": uow.now, "updated_at": uow.now,
                 "ordered_on": uow.today}
    line_rows: list[dict[str, Any]] = []
    staged_lines: list[dict[str, Any]] = []
    known: dict[PartKey, list[Promise]] = {}
    placed_parts: list[tuple[str, Position, Demand]] = []
    consumed: Consumed = {}
    any_open = False
    places: dict[str, StoredPlaces] = {}
    for p in planned:
        if p.sku not in places:
            places[p.sku] = StoredPlaces(uow, p.sku, cmd.account, effects.position)
        line = line_of(p, seq)
        for placed in place_line(places[p.sku], line, p.location):
            part, position, demand = placed.part, placed.position, placed.demand
            cancelled = placed.placed.cancelled
            line_row = {
                "order_id": cmd.id, "line": p.line, "sku": p.sku, "location": part.location,
                "idx": p.idx, "account": cmd.account, "seq": seq, "quantity": part.quantity,
                "shipped": 0, "cancelled": cancelled, "allocated": 0,
                "requested_date": p.requested_date, "backorder": p.policy.value,
                "open": part.quantity - cancelled, "ship_to": p.ship_to, "split": p.split,
                "transit_days": part.transit_days, "unit_price": p.unit_price,
                "first_promised_date": None, "ordered_on": uow.today,
                "held_at_order": demand.held,
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
                uow.emit("order.backordered", {
                    **where, "quantity": backordered, "promised_date": iso(promised),
                    "customer_date": iso(effects.customer_dates.now(position, demand))})
            if cancelled > 0:
                uow.emit("order.cancelled", line_event(cmd.id, p.line, part.location,
                                                        p.ship_to, cancelled))
            any_open = any_open or demand.quantity > 0
            known[(demand.key, part.location)] = position.promises(demand)
            placed_parts.append((p.line, position, demand))
    if not any_open:
        order_row["status"] = "closed"
    _first_promised(staged_lines + line_rows, known)
    uow.stage_order(order_row, staged_lines)
    effects.finish()
    # The answer is built from what was just written: no need to read it back.
    queue = {
        (cmd.id, line, position.location): place
        for line, position, demand in placed_parts
        if (place := position.queue_position(demand)) is not None
    }
    body = assemble_orders([order_row], line_rows, known, queue, consumed,
                           _confidence(uow, cmd.account, planned, known))[0]
    uow.stage_commit()
    return Result(Outcome.created, body)


def _first_promised(rows: list[dict[str, Any]], known: dict[PartKey, list[Promise]]) -> None:
    """Record on every part row the line's promised date as this answer shows
    it: what the service report measures shipments and waits against."""
    by_line: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_line.setdefault(row["line"], []).append(row)
    for line_rows in by_line.values():
        # A line's rows appear twice (staged and answered): its parts once each.
        parts = list({row["location"]: row for row in line_rows}.values())
        first = promised_date_of(line_promises(parts, known))
        for row in line_rows:
            row["first_promised_date"] = first
def _confidence(uow: UnitOfWork, account: str, planned: list[PlannedLine],
                known: dict[PartKey, list[Promise]]) -> Confidence:
    """What the answer needs for its confidence dates, from the master data
    already read and, only once a slip is recorded, the receipts' suppliers."""
    skus = {p.sku for p in planned}
    items = uow.master.items(skus)
    return Confidence(
        receipt_margins(uow.raw, receipts_of(p for mine in known.values() for p in mine), skus),
        {account: uow.master.account_basis(account)},
        {sku: row["promise_basis"] if row is not None else None for sku, row in items.items()},
    )


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
