"""What a change did to the demands it did not ask for, as events.

A command's own events (an order's ``order.allocated`` at placement, a
commitment's ``commitment.released``) are written by its handler. Everyone
else in the position learns of the change through :func:`consequences`,
which compares a view of every demand before and after the command
(DESIGN.md rule 10: a promise that moved because supply or other demand
changed). Both views are taken on the same calendar day, so the calendar
alone never produces an event.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from typing import Any

from earmark.domain.network import delivered
from earmark.domain.position import Demand, DemandKey, DemandKind, Position

Event = tuple[str, dict[str, Any]]

EVENT_TYPES = (
    "order.allocated", "order.backordered", "order.promise_changed", "order.shipped",
    "order.cancelled", "commitment.confirmed", "commitment.consumed", "commitment.at_risk",
    "commitment.expired", "commitment.released", "receipt.changed", "receipt.received",
    "stock.adjusted", "transfer.created", "transfer.shipped", "transfer.received",
    "transfer.cancelled",
)
"""Every event type that is recorded (API.md "Events")."""


@dataclass(frozen=True)
class DemandView:
    quantity: int
    held: int
    pegged: int
    promised_date: date | None
    shortfall: int
    latest_pegged_date: date | None


def view_of(position: Position, demand: Demand) -> DemandView:
    if demand.key.kind is DemandKind.line:
        # Lines are told of allocation and dates; shortfall is a commitment's concern.
        # A part of a line placed by ``ship_to`` speaks in delivered dates.
        return DemandView(demand.quantity, demand.held, demand.pegged,
                          delivered(position.promised_date(demand), demand.transit_days), 0, None)
    return DemandView(
        demand.quantity,
        demand.held,
        demand.pegged,
        position.promised_date(demand),
        position.shortfall(demand),
        position.latest_pegged_date(demand),
    )


def view(position: Position) -> dict[DemandKey, DemandView]:
    """A view of every demand (tests; commands observe only what they touch)."""
    return {key: view_of(position, demand) for key, demand in position.demands.items()}


def iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def consequences(
    position: Position,
    before: dict[DemandKey, DemandView],
    after: dict[DemandKey, DemandView],
    own: AbstractSet[DemandKey],
) -> list[Event]:
    """Events for every order line and commitment in ``before`` and ``after``
    not in ``own``, in rank order."""
    events: list[Event] = []
    keys = [k for k in before if k in after and k not in own and k in position.demands]
    for key in sorted(keys, key=lambda k: (position.demands[k].rank, k)):
        old, new = before[key], after[key]
        if key.kind is DemandKind.line:
            events.extend(_line_events(position, key, old, new))
        elif key.kind is DemandKind.commitment:
            events.extend(_commitment_events(position, key, old, new))
        # A transfer is told nothing here: its receipt at the destination
        # follows it, and those waiting there hear of that (service.transit).
    return events


def _line_events(position: Position, key: DemandKey, old: DemandView, new: DemandView) -> list[Event]:
    where = {"order": key.ref, "line": key.line, "sku": position.sku, "location": position.location}
    events: list[Event] = []
    if new.held > old.held:
        events.append(("order.allocated", {**where, "quantity": new.held - old.held}))
    elif new.held < old.held:
        events.append(
            (
                "order.backordered",
                {**where, "quantity": old.held - new.held, "promised_date": iso(new.promised_date)},
            )
        )
    if new.promised_date != old.promised_date:
        events.append(
            (
                "order.promise_changed",
                {**where, "old_date": iso(old.promised_date), "new_date": iso(new.promised_date)},
            )
        )
    return events


def _commitment_events(
    position: Position, key: DemandKey, old: DemandView, new: DemandView
) -> list[Event]:
    events: list[Event] = []
    if new.pegged > old.pegged:
        events.append(
            (
                "commitment.confirmed",
                {
                    "commitment": key.ref,
                    "quantity": new.pegged - old.pegged,
                    "promised_date": iso(new.latest_pegged_date),
                },
            )
        )
    if new.shortfall > old.shortfall and new.shortfall > 0:
        demand = position.demands[key]
        events.append(
            (
                "commitment.at_risk",
                {
                    "commitment": key.ref,
                    "shortfall": new.shortfall,
                    "earliest_date": iso(position.earliest_full_date(demand)),
                },
            )
        )
    return events
