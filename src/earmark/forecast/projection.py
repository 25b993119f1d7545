"""Projected on-hand of a position, day by day: what stock will be left if
the forecast comes true. Pure functions: no I/O, no clock (today is given).

API.md ("Forecasts"): the projection nets, per day, the forecast against
the booked demand (open order units and open commitments' remaining units)
and counts the larger of the two. The forecast predicts the orders still to
come, and the orders booked for a day (and the commitments earmarked for
them) are some of those: subtracting both would count that demand twice.
Each day: stock += receipts − max(forecast, orders + commitments).

Day conventions (as the ATP of API.md, whose on-hand bucket is dated today):

- The projection starts **today** and runs through the forecast's last day
  (:data:`DAYS_WITHOUT_FORECAST` days without a forecast). Each day's figure
  is the on-hand expected at the end of that day.
- **Receipts** arrive on ``max(expected_date, today)`` (an overdue receipt is
  counted today, as its bucket is dated), with their open quantity
  (quantity − received).
- **Open order units** (quantity − shipped − cancelled, held or backordered)
  leave on their requested date; an overdue line leaves today.
- **The forecast** counts from tomorrow: today's demand is what is already on
  order (the forecast predicts units by the day they are *ordered*, and
  those ordered so far today are open order units). Points of a forecast
  made on an earlier day that fall on or before today are skipped for the
  same reason. So today counts the booked demand only (overdue lines and
  commitments included); a day without a forecast point counts its booked
  demand, a day without booked demand its forecast.
- **Commitments**: an open commitment's remaining units leave on
  ``max(need_date, today)`` (an overdue need date counts today); one that
  expires on or before that day will be released before it is needed and
  counts nothing. A commitment is booked demand like an order line: it
  earmarks supply for orders to come, which the forecast also predicts, so
  it is netted against the forecast of its need date, not added to it.
- "Below" is strict: the first day whose projected on-hand is less than the
  item's safety stock, and less than zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from earmark.forecast.store import ForecastPoint

DAYS_WITHOUT_FORECAST = 28
"""How far a position without a (current) forecast is projected, in days from today."""

EPSILON = 1e-9
"""Forecast means are floats: a projected on-hand within this of a threshold is on it, not below."""


@dataclass(frozen=True)
class Dated:
    """Units on a day: a receipt's open quantity, an order line's open units."""

    day: date
    quantity: int


@dataclass(frozen=True)
class OpenCommitment:
    id: str
    account: str
    kind: str
    need_date: date
    expires_on: date | None
    remaining: int


@dataclass(frozen=True)
class PositionState:
    """What a projection and the suggestions read of a position."""

    sku: str
    location: str
    today: date
    on_hand: int
    safety_stock: int
    lead_time_days: int | None
    receipts: tuple[Dated, ...]
    orders: tuple[Dated, ...]
    commitments: tuple[OpenCommitment, ...]
    held: int = 0
    """Units held (pegged to on-hand), for orders and commitments alike."""
    slip_days: tuple[int, ...] = ()
    """Recorded slips of the position's receipts (days late), or of every
    supplier pooled while the position has fewer than ``SUPPLIER_SLIPS_MIN``:
    how uncertain its lead time is (suggestions' safety stock)."""

    @property
    def safety_stock_short(self) -> int:
        """How many units on-hand lacks to hold the held units and the safety stock."""
        return max(self.held + self.safety_stock - self.on_hand, 0)

    @property
    def incoming(self) -> int:
        return sum(r.quantity for r in self.receipts)

    @property
    def open_orders(self) -> int:
        return sum(o.quantity for o in self.orders)


@dataclass(frozen=True)
class ProjectedDay:
    day: date
    receipts: int
    orders: int
    commitments: int
    forecast: float
    expected_demand: float
    """The demand subtracted this day: ``max(forecast, orders + commitments)``."""
    on_hand: float
    """Projected on-hand at the end of the day."""


@dataclass(frozen=True)
class Projection:
    days: tuple[ProjectedDay, ...]
    first_below_safety_stock: date | None
    first_below_zero: date | None


def future_points(points: Iterable[ForecastPoint], today: date) -> list[ForecastPoint]:
    """The forecast's points after today, by day (see the module's day conventions)."""
    return sorted((p for p in points if p.day > today), key=lambda p: p.day)


def due_day(day: date, today: date) -> date:
    """The day a dated quantity counts on: overdue counts today."""
    return max(day, today)


def commitment_due(c: OpenCommitment, today: date) -> date | None:
    """The day a commitment's remaining units are needed, or None if it will
    have expired (and been released) by then."""
    day = due_day(c.need_date, today)
    if c.expires_on is not None and c.expires_on <= day:
        return None
    return day


def _by_day(items: Iterable[Dated], today: date) -> dict[date, int]:
    out: dict[date, int] = {}
    for item in items:
        day = due_day(item.day, today)
        out[day] = out.get(day, 0) + item.quantity
    return out


def commitments_by_day(commitments: Iterable[OpenCommitment], today: date) -> dict[date, int]:
    out: dict[date, int] = {}
    for c in commitments:
        day = commitment_due(c, today)
        if day is not None:
            out[day] = out.get(day, 0) + c.remaining
    return out


def horizon(today: date, points: Sequence[ForecastPoint]) -> list[date]:
    """The projection's days: today through the last future point, or
    :data:`DAYS_WITHOUT_FORECAST` days without one."""
    last = points[-1].day if points else today + timedelta(days=DAYS_WITHOUT_FORECAST - 1)
    return [today + timedelta(days=i) for i in range((last - today).days + 1)]


def netted_demand(forecast: float, booked: int) -> float:
    """A day's demand: its forecast consumed by the demand booked for it
    (orders and commitments), so the larger of the two."""
    return max(forecast, float(booked))


def project(state: PositionState, points: Sequence[ForecastPoint]) -> Projection:
    """Projected on-hand per day; ``points`` are the forecast's (any day: those
    on or before today are skipped), empty without a forecast."""
    today = state.today
    future = future_points(points, today)
    days = horizon(today, future)
    receipts = _by_day(state.receipts, today)
    orders = _by_day(state.orders, today)
    committed = commitments_by_day(state.commitments, today)
    means = {p.day: max(p.mean, 0.0) for p in future}  # after today only
    out: list[ProjectedDay] = []
    below_safety: date | None = None
    below_zero: date | None = None
    stock = float(state.on_hand)
    for day in days:
        forecast = means.get(day, 0.0)
        expected = netted_demand(forecast, orders.get(day, 0) + committed.get(day, 0))
        stock += receipts.get(day, 0) - expected
        out.append(ProjectedDay(day, receipts.get(day, 0), orders.get(day, 0),
                                committed.get(day, 0), forecast, expected, stock))
        if below_safety is None and stock < state.safety_stock - EPSILON:
            below_safety = day
        if below_zero is None and stock < -EPSILON:
            below_zero = day
    return Projection(tuple(out), below_safety, below_zero)
