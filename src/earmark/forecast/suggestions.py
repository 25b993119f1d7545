"""What the forecast suggests doing: receipts to place, and forecast
commitments to create for the accounts that order a position. Pure
arithmetic over a :class:`PositionState` and a stored forecast: no I/O, no
clock. The day conventions are :mod:`earmark.forecast.projection`'s.

**Receipts** (per position with a current forecast and an item lead time L;
a review period R, :data:`REVIEW_DAYS_DEFAULT`):

- demand over the lead time = the forecast over the lead time: the sum of
  its daily means from tomorrow through today + L; a receipt placed today
  arrives on today + L.
- safety stock = the larger of the item's configured ``safety_stock`` (a
  floor the business chose; it already keeps it out of ATP) and the
  statistical one, z(service level) × √(L·σ_d² + d²·σ_L²)
  (:func:`safety_stock`): demand varies, and so does the lead time, by the
  suppliers' recorded slips (σ_L, their standard deviation in days; the
  position's own slips once it has ``SUPPLIER_SLIPS_MIN``, else every
  supplier's pooled; 0 without any). d is the mean daily demand over the
  lead time. Each day's σ is
  read from its 80% interval: ``hi80`` is that day's 90th percentile, so
  σ = (hi80 − mean) / z(0.90). The upper half of the interval is used
  because a lower bound may be clipped at zero, and the upper tail is what
  safety stock guards against. Days are taken as independent: σ over the
  lead time is √(Σ σ²) (which is σ√L when every day's σ is the same).
- reorder point = demand over the lead time + safety stock.
- inventory position = on-hand + open receipts' open quantity − open order
  units (held and backordered alike, so the open backorders count in full)
  − open commitments' remaining units. API.md ("Forecasts"): receipt
  suggestions count open commitments as demand, as the projection does;
  like an order line, a commitment is demand already booked against the
  position's supply. One that will expire before its need date counts
  nothing (it is released before it is needed:
  :func:`~earmark.forecast.projection.commitment_due`).
- when the inventory position is at or below the reorder point, suggest a
  receipt up to the order-up-to level (the forecast through today + L + R
  + safety stock): quantity = that level − inventory position, rounded up to
  a whole unit, expected on today + L.

**Commitments** (per position with a current forecast, for each account
that ordered it in the last :data:`SHARE_HISTORY_DAYS` days): ``kind:
"forecast"`` for the account's share of the P80 of the position's demand
over the window (tomorrow through today + W, :data:`WINDOW_DAYS_DEFAULT`).

- P80 is the 80th percentile of the window's *sum*: Σ mean + z(0.80) ×
  √(Σ σ²), not the sum of daily upper bounds (that would be the sum of 90th
  percentiles, which overstates the window's P80 by far).
- the account's share is its ordered units over the position's ordered
  units in that look-back (order lines by ``orders.ordered_on``); its
  quantity is share × P80, rounded to the nearest unit (a sliver of
  expected demand earmarks nothing), less what the account's open
  commitments for the position still hold (rule 7 lets its orders consume
  any of them, whatever their kind), if that leaves at least one unit. A
  commitment that expires on or before the window's first day is released
  before any of the window's orders arrive, and covers nothing of it.
- need date = the window's last day, so that rule 1 pegs it backward from
  there (supply arriving during the window first, today's stock last) and
  ``strict`` asks that all of it be confirmable by the window's end; it
  expires the day after, when what the account did not order is released.

A forecast whose horizon is shorter than a window (L + R, or W) is extended
flat: the missing days get the mean of its future points' means and the
root-mean-square of their σ; ``extended_days`` says how many.

Every suggestion has an id derived from its content (kind, position,
account, quantity, dates and the forecast run), so the same suggestion has
the same id on every computation and changes id as soon as anything it
would create changes: see :mod:`earmark.forecast.planning` for accepting one.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist, pstdev

from earmark.domain.limits import QUANTITY_MAX
from earmark.forecast.projection import (
    EPSILON,
    PositionState,
    commitments_by_day,
    future_points,
)
from earmark.forecast.store import ForecastPoint, PositionForecast

SERVICE_LEVEL_DEFAULT = 0.95
SERVICE_LEVEL_MIN = 0.5
SERVICE_LEVEL_MAX = 0.999
REVIEW_DAYS_DEFAULT = 7
WINDOW_DAYS_DEFAULT = 28
PLANNING_DAYS_MAX = 365
"""Limit on a review period and a commitment window."""
SHARE_HISTORY_DAYS = 91
"""How far back an account's orders give its share of a position's demand (13 weeks)."""
COMMITMENT_QUANTILE = 0.80

def safety_stock(z: float, demand_variance_over_lead_time: float, daily_demand: float,
                 lead_time_sigma_days: float) -> float:
    """Safety stock against uncertain demand *and* uncertain lead time:
    z · √(L·σ_d² + d²·σ_L²), with L·σ_d² the demand's variance over the lead
    time (here Σ σ² of its days), d the mean daily demand and σ_L the lead
    time's standard deviation in days.

    Source: S. Chopra and P. Meindl, *Supply Chain Management: Strategy,
    Planning, and Operation*, chapter "Managing Uncertainty in a Supply
    Chain: Safety Inventory", section "Impact of supply uncertainty on
    safety inventory" (σ_L of demand during the lead time =
    √(L·σ_D² + D²·s_L²)); the same formula is in Silver, Pyke and Peterson,
    *Inventory Management and Production Planning and Scheduling*, 3rd ed.
    (1998), on random lead times."""
    variance = demand_variance_over_lead_time + daily_demand ** 2 * lead_time_sigma_days ** 2
    return z * math.sqrt(max(variance, 0.0))


def lead_time_sigma_days(slip_days: Sequence[int]) -> float:
    """The standard deviation of the lead time, in days: that of the slips (the
    nominal lead time is fixed, so the lead time varies exactly as they do)."""
    return pstdev(slip_days) if len(slip_days) >= 2 else 0.0


Z_HI80 = NormalDist().inv_cdf(0.90)
"""hi80 of an 80% interval is the 90th percentile: mean + 1.2816 σ."""

RECEIPT = "receipt"
COMMITMENT = "commitment"
ID_PREFIX = {RECEIPT: "sg-r-", COMMITMENT: "sg-c-"}


@dataclass(frozen=True)
class Params:
    service_level: float = SERVICE_LEVEL_DEFAULT
    review_days: int = REVIEW_DAYS_DEFAULT
    window_days: int = WINDOW_DAYS_DEFAULT


@dataclass(frozen=True)
class ReceiptBasis:
    on_hand: int
    incoming: int
    open_orders: int
    open_commitments: int
    inventory_position: int
    lead_time_days: int
    review_days: int
    service_level: float
    demand_over_lead_time: float
    safety_stock: float
    """The one used: the larger of the item's and the statistical one."""
    item_safety_stock: int
    safety_stock_short: int
    """How many units on-hand lacks to hold its held units and the item's safety stock."""
    statistical_safety_stock: float
    lead_time_sigma_days: float
    """σ_L: the standard deviation of the suppliers' slips, in days."""
    reorder_point: float
    order_up_to: float
    extended_days: int


@dataclass(frozen=True)
class CommitmentBasis:
    window_start: date
    window_end: date
    window_days: int
    forecast_mean: float
    """Σ of the daily means over the window."""
    forecast_p80: float
    account_ordered: int
    position_ordered: int
    history_days: int
    account_share: float
    covered: int
    """What the account's open commitments for the position still hold (those
    that are still open on the window's first day)."""
    extended_days: int


@dataclass(frozen=True)
class Suggestion:
    id: str
    kind: str
    sku: str
    location: str
    account: str | None
    quantity: int
    day: date
    """A receipt's expected date; a commitment's need date."""
    expires_on: date | None
    run_id: str
    model: str
    method: str
    """The forecast's: its model's name, or ``fallback``."""
    made_on: date
    basis: ReceiptBasis | CommitmentBasis

    @property
    def reason(self) -> str:
        b = self.basis
        if isinstance(b, ReceiptBasis):
            return (f"inventory position {b.inventory_position} is at or below the reorder point "
                    f"{b.reorder_point:.1f} (demand over the {b.lead_time_days}-day lead time "
                    f"{b.demand_over_lead_time:.1f} + safety stock {b.safety_stock:.1f}); "
                    f"order up to {b.order_up_to:.1f}")
        return (f"{self.account} ordered {b.account_share:.0%} of this position's units in the "
                f"last {b.history_days} days; the P80 of the {b.window_days}-day forecast is "
                f"{b.forecast_p80:.1f}, and its open commitments hold {b.covered}")


def suggestion_id(kind: str, sku: str, location: str, account: str | None, quantity: int,
                  day: date, expires_on: date | None, run_id: str) -> str:
    """A short hash of what the suggestion would create and the forecast it came from."""
    content = [kind, sku, location, account, quantity, day.isoformat(),
               expires_on.isoformat() if expires_on else None, run_id]
    digest = hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()
    return ID_PREFIX[kind] + digest[:16]


def kind_of_id(suggestion: str) -> str | None:
    for kind, prefix in ID_PREFIX.items():
        if suggestion.startswith(prefix):
            return kind
    return None


def sigma(point: ForecastPoint) -> float:
    """A day's standard deviation, read from the upper half of its 80% interval."""
    return max(point.hi80 - point.mean, 0.0) / Z_HI80


def daily(points: Sequence[ForecastPoint], today: date, days: int
          ) -> tuple[dict[date, float], dict[date, float], int]:
    """Means and σ of the days today+1 .. today+days, and how many of those
    days lie beyond the forecast (extended flat); ``points`` are future points."""
    by_day = {p.day: p for p in points}
    mean_fill = sum(max(p.mean, 0.0) for p in points) / len(points)
    sigma_fill = math.sqrt(sum(sigma(p) ** 2 for p in points) / len(points))
    means: dict[date, float] = {}
    sigmas: dict[date, float] = {}
    extended = 0
    for i in range(1, days + 1):
        day = today + timedelta(days=i)
        point = by_day.get(day)
        if point is None:
            extended += 1
            means[day], sigmas[day] = mean_fill, sigma_fill
        else:
            means[day], sigmas[day] = max(point.mean, 0.0), sigma(point)
    return means, sigmas, extended


def suggest_receipt(state: PositionState, forecast: PositionForecast, params: Params
                    ) -> Suggestion | None:
    """A receipt by the reorder point, or None (no lead time, no current
    forecast, or the inventory position is above the reorder point)."""
    lead = state.lead_time_days
    today = state.today
    points = future_points(forecast.points, today)
    if lead is None or not points:
        return None
    span = lead + params.review_days
    means, sigmas, extended = daily(points, today, span)
    days = [today + timedelta(days=i) for i in range(1, span + 1)]  # tomorrow .. today + L + R
    over_lead = sum(means[d] for d in days[:lead])
    daily_demand = over_lead / lead if lead else 0.0
    sigma_slip = lead_time_sigma_days(state.slip_days)
    statistical = safety_stock(NormalDist().inv_cdf(params.service_level),
                               sum(sigmas[d] ** 2 for d in days[:lead]), daily_demand, sigma_slip)
    safety = max(float(state.safety_stock), statistical)
    reorder_point = over_lead + safety
    order_up_to = sum(means[d] for d in days) + safety
    open_commitments = sum(commitments_by_day(state.commitments, today).values())
    position = state.on_hand + state.incoming - state.open_orders - open_commitments
    if position > reorder_point + EPSILON:
        return None
    quantity = min(math.ceil(order_up_to - position - EPSILON), QUANTITY_MAX)
    if quantity < 1:
        return None
    expected_date = today + timedelta(days=lead)
    basis = ReceiptBasis(
        on_hand=state.on_hand, incoming=state.incoming, open_orders=state.open_orders,
        open_commitments=open_commitments, inventory_position=position, lead_time_days=lead,
        review_days=params.review_days,
        service_level=params.service_level, demand_over_lead_time=over_lead, safety_stock=safety,
        item_safety_stock=state.safety_stock, safety_stock_short=state.safety_stock_short,
        statistical_safety_stock=statistical, lead_time_sigma_days=sigma_slip,
        reorder_point=reorder_point, order_up_to=order_up_to,
        extended_days=extended,
    )
    return Suggestion(
        suggestion_id(RECEIPT, state.sku, state.location, None, quantity, expected_date, None,
                      forecast.run_id),
        RECEIPT, state.sku, state.location, None, quantity, expected_date, None,
        forecast.run_id, forecast.model, forecast.method, forecast.made_on, basis,
    )


def window_p80(means: Mapping[date, float], sigmas: Mapping[date, float]) -> tuple[float, float]:
    """(Σ mean, P80 of the sum) over the window's days."""
    total = sum(means.values())
    spread = math.sqrt(sum(s ** 2 for s in sigmas.values()))
    return total, total + NormalDist().inv_cdf(COMMITMENT_QUANTILE) * spread


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5 + EPSILON)


def suggest_commitments(state: PositionState, forecast: PositionForecast,
                        ordered: Mapping[str, int], params: Params) -> list[Suggestion]:
    """Forecast commitments for the accounts in ``ordered`` (each account's
    units ordered for this position in the look-back), by account."""
    today = state.today
    points = future_points(forecast.points, today)
    total_ordered = sum(ordered.values())
    if not points or total_ordered <= 0:
        return []
    means, sigmas, extended = daily(points, today, params.window_days)
    mean_sum, p80 = window_p80(means, sigmas)
    start = today + timedelta(days=1)
    end = today + timedelta(days=params.window_days)
    expires = end + timedelta(days=1)
    out: list[Suggestion] = []
    for account in sorted(ordered):
        if ordered[account] <= 0:
            continue
        share = ordered[account] / total_ordered
        covered = sum(c.remaining for c in state.commitments
                      if c.account == account and (c.expires_on is None or c.expires_on > start))
        quantity = min(_round_half_up(share * p80) - covered, QUANTITY_MAX)
        if quantity < 1:
            continue
        basis = CommitmentBasis(
            window_start=start, window_end=end, window_days=params.window_days,
            forecast_mean=mean_sum, forecast_p80=p80, account_ordered=ordered[account],
            position_ordered=total_ordered, history_days=SHARE_HISTORY_DAYS,
            account_share=share, covered=covered, extended_days=extended,
        )
        out.append(Suggestion(
            suggestion_id(COMMITMENT, state.sku, state.location, account, quantity, end, expires,
                          forecast.run_id),
            COMMITMENT, state.sku, state.location, account, quantity, end, expires,
            forecast.run_id, forecast.model, forecast.method, forecast.made_on, basis,
        ))
    return out
