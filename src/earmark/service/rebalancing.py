"""Rebalancing (DESIGN.md, "Network promising"): where a position has
backordered units and another location with a lane to it has free on-hand,
a transfer of at most that free on-hand is suggested when it would deliver
those units earlier than their present promise.

Each lane into the position is tried on its own: a transfer shipped today
from free on-hand (as ``POST /v1/transfers`` without ``need_date`` makes
it) arrives today + transit, and :func:`~earmark.domain.transfers.rebalance`
says which backordered units it would make earlier. The suggestion is of
those units: ``quantity`` (at most the free on-hand), ``earlier_by_days``
(the largest gain; null when a unit it serves had no date at all) and the
``orders`` served.

A suggestion's id is ``sg-t-`` and a hash of what accepting it creates (sku,
from, to, quantity, arrival day): the same suggestion keeps its id while
stock and demand stand still; any change to what it would create changes it.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from earmark.domain.transfers import plus_days, rebalance
from earmark.service.queries import narrowed
from earmark.store import tables as t
from earmark.store.repository import load_position

TRANSFER = "transfer"
ID_PREFIX = "sg-t-"


@dataclass(frozen=True)
class TransferSuggestion:
    id: str
    sku: str
    origin: str
    destination: str
    quantity: int
    arrives: date
    earlier_by_days: int | None
    orders: tuple[str, ...]
    kind: str = TRANSFER


def suggestion_id(sku: str, origin: str, destination: str, quantity: int, arrives: date) -> str:
    content = [TRANSFER, sku, origin, destination, quantity, arrives.isoformat()]
    digest = hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()
    return ID_PREFIX + digest[:16]


def _free_on_hand(tx: Connection, sku: str, locations: list[str]) -> dict[str, int]:
    """What on-hand offers to new pegs at each location: on-hand - safety stock
    - held, not below 0 (``Position.free``), from the stored counters."""
    p, i = t.positions.c, t.items.c
    rows = tx.execute(
        select(p.location, p.on_hand, p.held, i.safety_stock)
        .join(t.items, i.sku == p.sku)
        .where(p.sku == sku, p.location.in_(locations))
    ).all()
    return {location: max(max(int(on_hand) - int(safety), 0) - int(held), 0)
            for location, on_hand, held, safety in rows}


def transfer_suggestions(tx: Connection, today: date, *, sku: str | None = None,
                         location: str | None = None) -> list[TransferSuggestion]:
    """Suggested transfers into the positions with backordered units (into
    ``location`` when given), by sku, destination and lane (transit, origin)."""
    ol, lanes = t.order_lines.c, t.lanes.c
    # Only positions a lane leads into: without lanes, one statement finds none.
    backordered = narrowed(
        select(ol.sku, ol.location, func.sum(ol.open - ol.allocated))
        .where(ol.open > ol.allocated,
               select(lanes.from_location).where(lanes.to_location == ol.location).exists())
        .group_by(ol.sku, ol.location).order_by(ol.sku, ol.location),
        (ol.sku, sku), (ol.location, location))
    waiting_at = tx.execute(backordered).all()
    if not waiting_at:
        return []
    into: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for origin, destination, transit in tx.execute(
        select(lanes.from_location, lanes.to_location, lanes.transit_days)
        .where(lanes.to_location.in_(sorted({row[1] for row in waiting_at})))
        .order_by(lanes.transit_days, lanes.from_location)
    ).all():
        into[destination].append((origin, int(transit)))
    found: list[TransferSuggestion] = []
    for position_sku, destination, waiting in waiting_at:
        free = _free_on_hand(tx, position_sku, [origin for origin, _ in into[destination]])
        position = None
        for origin, transit in into[destination]:
            offered = min(free.get(origin, 0), int(waiting))
            if offered <= 0:
                continue
            if position is None:
                position = load_position(tx, position_sku, destination, today).position
            arrives = plus_days(today, transit)
            served = rebalance(position, arrives, offered)
            if served is None:
                continue
            found.append(TransferSuggestion(
                suggestion_id(position_sku, origin, destination, served.quantity, arrives),
                position_sku, origin, destination, served.quantity, arrives,
                served.earlier_by_days, served.orders))
    return found
