"""Transfers (DESIGN.md, "Network promising"): stock moved along a lane.

A transfer is demand at its source position (``DemandKey.for_transfer``,
ranked and pegged like any demand) and, at its destination, a receipt with
the transfer's id. That receipt follows the source: its open quantity is
the transfer's units pegged at the source plus its units in transit, and
its expected date is the latest of (promised date at the source of a pegged
unit + transit) and (the last ship day + transit, for units in transit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from earmark.domain.position import Demand, Position

TRANSFER_STATUSES = ("open", "in_transit", "received", "cancelled")


def plus_days(day: date, days: int) -> date:
    """``day`` + ``days``, the calendar's last day where that would pass it."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def source_need_date(need_date: date | None, transit_days: int) -> date:
    """The transfer's need date at its source: ``need_date`` - transit; without
    ``need_date``, today, whatever day that is (a date before today counts as
    today: ``Position.need``)."""
    if need_date is None:
        return date.min
    return plus_days(need_date, -transit_days)


@dataclass(frozen=True)
class DestinationSupply:
    """What the transfer's receipt at the destination should hold."""

    open: int
    """Units pegged at the source + units in transit."""
    expected_date: date | None
    """The latest arrival of those units; None when none is open (the receipt keeps its date)."""


def destination_supply(source: Position | None, demand: Demand | None, in_transit: int,
                       shipped_on: date | None, transit_days: int) -> DestinationSupply:
    """The receipt at the destination of a transfer whose demand at ``source``
    is ``demand`` (both None when nothing of it is left at the source)."""
    arrivals: list[date] = []
    pegged = 0
    if source is not None and demand is not None:
        pegged = demand.pegged
        latest = source.latest_pegged_date(demand)
        if latest is not None:
            arrivals.append(plus_days(latest, transit_days))
    if in_transit > 0 and shipped_on is not None:
        arrivals.append(plus_days(shipped_on, transit_days))
    return DestinationSupply(pegged + in_transit, max(arrivals, default=None))


def transfer_status(quantity: int, shipped: int, received: int, cancelled: int) -> str:
    """``in_transit`` while units are on their way; else ``open`` while units are
    still at the source; else ``received`` if any arrived, else ``cancelled``."""
    if shipped > received:
        return "in_transit"
    if quantity - shipped - cancelled > 0:
        return "open"
    return "received" if received > 0 else "cancelled"


# ----------------------------------------------------------------------
# Rebalancing

SUGGESTED = "\x00suggested"
"""Bucket key of the receipt a suggested transfer would make (no receipt id
can hold a NUL character)."""


@dataclass(frozen=True)
class Rebalance:
    """What a transfer arriving at a position would do for its order lines."""

    quantity: int
    """Units of order lines it would deliver earlier than their present promise."""
    earlier_by_days: int | None
    """The largest gain among those units; None when one of them had no date
    at all (its gain has no bound)."""
    orders: tuple[str, ...]
    """The orders of those lines, in serving order."""


def rebalance(position: Position, arrives: date, quantity: int) -> Rebalance | None:
    """What ``quantity`` units arriving at ``position`` on ``arrives`` would do
    for its lines with backordered units, tried on a copy by rules 3 and 1 as
    a new receipt; None when no unit of theirs would come earlier.

    A line that takes k units of it gives up its k latest-promised units (rule 3
    serves waiting units, which count as the latest, then moves the latest
    pegged ones); each of those gains its old date - its new one, and a unit
    that had no date gains without bound."""
    lines = position.queue()
    before = {line.key: position.promises(line) for line in lines}
    trial = position.clone()
    seq = max(bucket.seq for bucket in trial.buckets.values()) + 1
    trial.add_receipt(SUGGESTED, arrives, quantity, seq)
    gained, best, unbounded = 0, 0, False
    orders: list[str] = []
    for line in lines:
        after = trial.demands[line.key]
        taken = after.pegs.get(SUGGESTED, 0)
        if taken == 0:
            continue
        new_date = trial.promised(after, SUGGESTED)
        units_gaining = 0
        # Promises are earliest first, undated last: the latest units are at the end.
        for promise in reversed(before[line.key]):
            if taken <= 0:
                break
            n = min(promise.quantity, taken)
            taken -= n
            if promise.date is None:
                unbounded = True
            elif promise.date > new_date:
                best = max(best, (promise.date - new_date).days)
            else:
                continue
            units_gaining += n
        if units_gaining:
            gained += units_gaining
            if line.key.ref not in orders:
                orders.append(line.key.ref)
    if gained == 0:
        return None
    return Rebalance(gained, None if unbounded else best, tuple(orders))
