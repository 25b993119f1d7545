"""The capital report: what the stock costs, whom it is for, and the revenue
that waits on supply (API.md, "Money and service reports").

Every figure is units × money. The units are summed in SQL per position (and
per price, or per receipt date, where the money or the week depends on it);
only those sums are multiplied in Python, in exact integer millionths of the
currency (``domain.money.micros``), and shown rounded to cents once, at the
end. What a unit counts as:

- ``on_hand``: a unit of the position's on-hand (the ledger's sum).
- ``held``: an on-hand unit pegged to an order line (its ``allocated``).
- ``committed_held``: an on-hand unit pegged to a commitment.
- ``free``: every other on-hand unit (units a transfer out has asked for
  are free here: they are no one's sale or commitment yet).
- ``safety_stock``: a free unit up to the item's safety stock.
- ``excess``: a free unit beyond safety stock and the forecast demand of the
  item's lead time (forecast means summed over the lead time's days after
  today, rounded up to whole units; no forecast: none).
- ``incoming``: a unit of an open receipt not yet received;
  ``committed_incoming``: such a unit pegged to a commitment.
- ``backordered_revenue``: an open unit of an order line that is not held
  (open − allocated), at the line's ``unit_price``, else the item's. Its week
  is the Monday of the date the line's promise gives that unit: a unit
  pegged to a receipt is due on the receipt's expected date (not before the
  part's need date) plus the part's transit days; a unit no supply serves
  is ``unconfirmed``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.engine import Connection

from earmark.domain.money import micros, micros_out, week_of
from earmark.domain.position import ON_HAND, DemandKind
from earmark.store import tables as t

UNCONFIRMED = "unconfirmed"
"""The ``by_week`` entry of backordered units that no known supply serves."""

MONEY_FIGURES = ("on_hand", "held", "committed_held", "free", "safety_stock", "incoming",
                 "committed_incoming", "backordered_revenue", "excess")
"""The money figures of a report and of each of its rows, in the answer's order."""

ROW_FIELDS = ("sku", "location", *MONEY_FIGURES)
REVENUE = MONEY_FIGURES.index("backordered_revenue")

Key = tuple[str, str]


class _Shown(dict[int | None, str | None]):
    """Money as shown, each value formatted once (rows repeat many: 0.00 above all)."""

    def __missing__(self, value: int | None) -> str | None:
        shown = self[value] = micros_out(value)
        return shown

    def __call__(self, value: int | None) -> str | None:
        return self[value]


@dataclass(slots=True)
class PositionUnits:
    """One position's units by what they count as (see the module's docstring)."""

    sku: str
    location: str
    unit_cost: int | None
    unit_price: int | None
    """Cost and price in millionths (``domain.money.micros``)."""
    safety_stock_units: int
    lead_time_days: int
    on_hand: int = 0
    held: int = 0
    committed_held: int = 0
    incoming: int = 0
    committed_incoming: int = 0
    forecast_units: int = 0
    backordered: dict[int | None, int] = field(default_factory=dict)
    """Backordered units by the line's own price (None: the item's)."""

    @property
    def free(self) -> int:
        return max(0, self.on_hand - self.held - self.committed_held)

    def revenue(self) -> int | None:
        """Backordered units × price; null when a unit has no price, and when
        the item has none and no line brought its own (the row lacks a price)."""
        if self.unit_price is None and not self.backordered:
            return None
        total = 0
        for own, units in self.backordered.items():
            price = own if own is not None else self.unit_price
            if price is None:
                return None
            total += units * price
        return total

    def figures(self) -> tuple[int | None, ...]:
        """The row's money in millionths, in ``MONEY_FIGURES`` order."""
        cost = self.unit_cost
        revenue = self.revenue()
        if cost is None:
            return (None,) * 7 + (revenue, None)
        free = self.free
        return (self.on_hand * cost, self.held * cost, self.committed_held * cost, free * cost,
                min(free, self.safety_stock_units) * cost, self.incoming * cost,
                self.committed_incoming * cost, revenue,
                max(0, free - self.safety_stock_units - self.forecast_units) * cost)


def capital_report(tx: Connection, today: date, currency: str,
                   location: str | None = None, sku: str | None = None) -> dict[str, Any]:
    """The capital report of every position (of ``sku``, at ``location``)."""
    positions = _positions(tx, location, sku)
    _add_pegged(tx, positions, location, sku)
    _add_incoming(tx, positions, location, sku)
    _add_backordered(tx, positions, location, sku)
    _add_forecasts(tx, positions, today, location, sku)
    rows = [positions[key] for key in sorted(positions)]
    by_sku = []
    totals = [0] * len(MONEY_FIGURES)
    no_price: set[str] = set()
    shown = _Shown()
    for row in rows:
        figures = row.figures()
        for n, value in enumerate(figures):
            if value is not None:
                totals[n] += value
        if figures[REVENUE] is None:
            no_price.add(row.sku)
        by_sku.append(dict(zip(ROW_FIELDS, (row.sku, row.location, *map(shown, figures)),
                               strict=True)))
    return {
        "currency": currency,
        "as_of": today.isoformat(),
        **dict(zip(MONEY_FIGURES, map(micros_out, totals), strict=True)),
        "by_week": _by_week(tx, positions, today, location, sku),
        "by_sku": by_sku,
        "missing_cost": len({r.sku for r in rows if r.unit_cost is None}),
        "missing_price": len(no_price),
    }


def _where(table: Any, location: str | None, sku: str | None) -> list[Any]:
    conditions = []
    if sku is not None:
        conditions.append(table.c.sku == sku)
    if location is not None:
        conditions.append(table.c.location == location)
    return conditions


def _positions(tx: Connection, location: str | None, sku: str | None) -> dict[Key, PositionUnits]:
    p, i = t.positions, t.items
    rows = tx.execute(
        select(p.c.sku, p.c.location, p.c.on_hand, i.c.unit_cost, i.c.unit_price,
               i.c.safety_stock, i.c.lead_time_days)
        .join(i, i.c.sku == p.c.sku).where(*_where(p, location, sku))
    ).all()
    # Each item's money is read once, not once per location.
    costs: dict[str | None, int | None] = {}
    prices: dict[str | None, int | None] = {}
    out: dict[Key, PositionUnits] = {}
    for row_sku, row_location, on_hand, cost, price, safety, lead in rows:
        if cost not in costs:
            costs[cost] = micros(cost)
        if price not in prices:
            prices[price] = micros(price)
        out[(row_sku, row_location)] = PositionUnits(
            row_sku, row_location, costs[cost], prices[price], int(safety), int(lead or 0),
            on_hand=int(on_hand))
    return out


def _add_pegged(tx: Connection, positions: dict[Key, PositionUnits],
                location: str | None, sku: str | None) -> None:
    """Held and committed units, on-hand and incoming, from the pegs."""
    g = t.pegs
    on_hand = case((g.c.bucket == ON_HAND, literal(1)), else_=literal(0))
    rows = tx.execute(
        select(g.c.sku, g.c.location, g.c.demand_kind, on_hand.label("on_hand"),
               func.sum(g.c.quantity))
        .where(g.c.demand_kind.in_((DemandKind.line.value, DemandKind.commitment.value)),
               *_where(g, location, sku))
        .group_by(g.c.sku, g.c.location, g.c.demand_kind, on_hand)
    ).all()
    for row_sku, row_location, kind, is_on_hand, units in rows:
        position = positions.get((row_sku, row_location))
        if position is None:
            continue
        if kind == DemandKind.line.value and is_on_hand:
            position.held += int(units)
        elif kind == DemandKind.commitment.value:
            if is_on_hand:
                position.committed_held += int(units)
            else:
                position.committed_incoming += int(units)


def _add_incoming(tx: Connection, positions: dict[Key, PositionUnits],
                  location: str | None, sku: str | None) -> None:
    r = t.receipts
    rows = tx.execute(
        select(r.c.sku, r.c.location, func.sum(r.c.quantity - r.c.received))
        .where(r.c.status == "open", *_where(r, location, sku))
        .group_by(r.c.sku, r.c.location)
    ).all()
    for row_sku, row_location, units in rows:
        if (position := positions.get((row_sku, row_location))) is not None:
            position.incoming += int(units or 0)


def _add_backordered(tx: Connection, positions: dict[Key, PositionUnits],
                     location: str | None, sku: str | None) -> None:
    ol = t.order_lines
    rows = tx.execute(
        select(ol.c.sku, ol.c.location, ol.c.unit_price, func.sum(ol.c.open - ol.c.allocated))
        .where(ol.c.open > ol.c.allocated, *_where(ol, location, sku))
        .group_by(ol.c.sku, ol.c.location, ol.c.unit_price)
    ).all()
    for row_sku, row_location, price, units in rows:
        if (position := positions.get((row_sku, row_location))) is not None:
            own = micros(price)
            position.backordered[own] = position.backordered.get(own, 0) + int(units)


def _add_forecasts(tx: Connection, positions: dict[Key, PositionUnits], today: date,
                   location: str | None, sku: str | None) -> None:
    """The forecast demand of each position's lead time (days after today)."""
    f = t.forecasts
    rows = tx.execute(select(f.c.sku, f.c.location, f.c.points)
                      .where(*_where(f, location, sku))).all()
    for row_sku, row_location, points in rows:
        position = positions.get((row_sku, row_location))
        if position is None or position.lead_time_days <= 0:
            continue
        last = today + timedelta(days=position.lead_time_days)
        demand = sum((Decimal(str(point["mean"])) for point in points or []
                      if today < date.fromisoformat(point["date"]) <= last), Decimal(0))
        position.forecast_units = math.ceil(max(demand, Decimal(0)))


def _by_week(tx: Connection, positions: dict[Key, PositionUnits], today: date,
             location: str | None, sku: str | None) -> list[dict[str, Any]]:
    """Backordered revenue by the week each unit is promised for; what no
    supply serves (and what has no price) is summed under ``unconfirmed``."""
    weeks: dict[date, int] = defaultdict(int)
    confirmed: dict[tuple[Key, int | None], int] = defaultdict(int)
    for row in _receipt_pegged(tx, location, sku):
        key = (row.sku, row.location)
        if (position := positions.get(key)) is None:
            continue
        own = micros(row.unit_price)
        transit = timedelta(days=int(row.transit_days))
        need = max(today, row.requested_date - transit)
        due = max(_as_date(row.expected_date), need) + transit
        confirmed[(key, own)] += int(row.units)
        price = own if own is not None else position.unit_price
        if price is not None:
            weeks[week_of(due)] += int(row.units) * price
    unconfirmed = 0
    for key, position in positions.items():
        for own, units in position.backordered.items():
            left = units - confirmed.get((key, own), 0)
            price = own if own is not None else position.unit_price
            if left > 0 and price is not None:
                unconfirmed += left * price
    out = [{"week": week.isoformat(), "value": micros_out(value)}
           for week, value in sorted(weeks.items())]
    if unconfirmed:
        out.append({"week": UNCONFIRMED, "value": micros_out(unconfirmed)})
    return out


def _receipt_pegged(tx: Connection, location: str | None, sku: str | None) -> Iterable[Any]:
    """Units of order lines pegged to receipts, summed by what dates and prices them."""
    g, ol, r = t.pegs, t.order_lines, t.receipts
    return tx.execute(
        select(g.c.sku, g.c.location, ol.c.unit_price, ol.c.requested_date, ol.c.transit_days,
               r.c.expected_date, func.sum(g.c.quantity).label("units"))
        .join(ol, and_(ol.c.sku == g.c.sku, ol.c.order_id == g.c.demand_ref,
                       ol.c.line == g.c.demand_line, ol.c.location == g.c.location))
        .join(r, and_(r.c.sku == g.c.sku, r.c.id == g.c.bucket))
        .where(g.c.demand_kind == DemandKind.line.value, g.c.bucket != ON_HAND,
               *_where(g, location, sku))
        .group_by(g.c.sku, g.c.location, ol.c.unit_price, ol.c.requested_date,
                  ol.c.transit_days, r.c.expected_date)
    ).all()


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
