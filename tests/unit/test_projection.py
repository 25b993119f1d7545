"""Projected on-hand, day by day, on hand-computed cases (no database)."""

from __future__ import annotations

from datetime import date, timedelta

from earmark.forecast.projection import (
    DAYS_WITHOUT_FORECAST,
    Dated,
    OpenCommitment,
    PositionState,
    project,
)
from earmark.forecast.store import ForecastPoint

TODAY = date(2026, 1, 5)


def day(n: int) -> date:
    """2026-01-n."""
    return date(2026, 1, n)


def points(first: date, means: list[float]) -> list[ForecastPoint]:
    return [ForecastPoint(first + timedelta(days=i), m, m, m, m, m) for i, m in enumerate(means)]


def state(on_hand: int = 0, safety_stock: int = 0, receipts: tuple[Dated, ...] = (),
          orders: tuple[Dated, ...] = (), commitments: tuple[OpenCommitment, ...] = ()
          ) -> PositionState:
    return PositionState("COAT", "WEB", TODAY, on_hand, safety_stock, None, receipts, orders,
                         commitments)


def test_projection_dates_on_a_hand_computed_case() -> None:
    """on-hand 20, safety stock 5; a receipt of 10 on the 8th and an overdue one
    of 3 (counted today); an overdue line of 4 (today) and one of 9 on the 7th;
    3 a day forecast from the 6th to the 14th. The line of 9 consumes the 7th's
    forecast of 3: the 7th counts 9, not 12.

    day:       5   6   7   8   9  10  11  12  13  14
    receipts: +3          +10
    orders:    4       9
    forecast:      3   3   3   3   3   3   3   3   3
    demand:   -4  -3  -9  -3  -3  -3  -3  -3  -3  -3
    on-hand:  19  16   7  14  11   8   5   2  -1  -4
    """
    position = state(
        on_hand=20, safety_stock=5,
        receipts=(Dated(day(8), 10), Dated(day(2), 3)),
        orders=(Dated(day(3), 4), Dated(day(7), 9)),
    )
    projection = project(position, points(day(6), [3.0] * 9))
    assert [d.day for d in projection.days] == [day(n) for n in range(5, 15)]
    assert [d.on_hand for d in projection.days] == [19, 16, 7, 14, 11, 8, 5, 2, -1, -4]
    assert [d.receipts for d in projection.days][:4] == [3, 0, 0, 10]
    assert [d.orders for d in projection.days][:3] == [4, 0, 9]
    assert [d.expected_demand for d in projection.days][:4] == [4, 3, 9, 3]
    assert projection.first_below_safety_stock == day(12)
    assert projection.first_below_zero == day(13)


def test_on_the_safety_stock_is_not_below_it() -> None:
    projection = project(state(on_hand=10, safety_stock=4), points(day(6), [3.0, 3.0, 3.0]))
    assert [d.on_hand for d in projection.days] == [10, 7, 4, 1]
    assert projection.first_below_safety_stock == day(8)
    assert projection.first_below_zero is None


def test_the_forecast_counts_from_tomorrow_even_when_made_days_ago() -> None:
    """Points on or before today are demand already on order (or gone)."""
    old = points(day(3), [100.0, 100.0, 100.0, 1.0, 1.0])  # the 3rd .. the 7th
    projection = project(state(on_hand=5), old)
    assert [d.day for d in projection.days] == [day(5), day(6), day(7)]
    assert [d.forecast for d in projection.days] == [0.0, 1.0, 1.0]
    assert [d.on_hand for d in projection.days] == [5, 4, 3]


def test_without_a_forecast_the_projection_runs_its_default_days_with_no_forecast() -> None:
    projection = project(state(on_hand=3, orders=(Dated(day(9), 5),)), [])
    assert len(projection.days) == DAYS_WITHOUT_FORECAST
    assert projection.days[-1].day == TODAY + timedelta(days=DAYS_WITHOUT_FORECAST - 1)
    assert all(d.forecast == 0 for d in projection.days)
    assert projection.first_below_zero == day(9)


def test_a_stale_forecast_counts_as_none() -> None:
    projection = project(state(on_hand=3), points(day(1), [9.0, 9.0, 9.0]))
    assert len(projection.days) == DAYS_WITHOUT_FORECAST
    assert projection.first_below_zero is None


def test_overdue_backorders_beyond_stock_are_below_zero_today() -> None:
    projection = project(state(on_hand=2, orders=(Dated(day(1), 5),)), [])
    assert projection.days[0].on_hand == -3
    assert projection.first_below_zero == TODAY


def test_projection_nets_the_forecast_against_open_orders_and_commitments() -> None:
    """API.md: each day, stock += receipts − max(forecast, orders +
    commitments). On-hand 40, safety stock 10; a line of 6 on the 7th; C-3, 3
    units needed on the 2nd (overdue: today); C-1, 15 needed on the 8th;
    C-2, 100 needed on the 10th but expiring on the 7th (released before it
    is needed: nothing); 2 a day forecast from the 6th to the 15th.

    day:          5   6   7   8   9  10  11  12  13  14  15
    orders:               6
    commitments:  3          15
    forecast:         2   2   2   2   2   2   2   2   2   2
    expected:     3   2   6  15   2   2   2   2   2   2   2
    on-hand:     37  35  29  14  12  10   8   6   4   2   0

    Below the safety stock 10 on the 11th (on it on the 10th), never below
    zero: 40 − 3 − 6 − 15 − 8 × 2 = 0 at the end (adding instead of netting
    would have ended at −4)."""
    commitments = (
        OpenCommitment("C-1", "acme", "contract", day(8), None, 15),
        OpenCommitment("C-2", "bolt", "forecast", day(10), day(7), 100),
        OpenCommitment("C-3", "acme", "key_account", day(2), None, 3),
    )
    position = state(on_hand=40, safety_stock=10, orders=(Dated(day(7), 6),),
                     commitments=commitments)
    projection = project(position, points(day(6), [2.0] * 10))
    assert [d.day for d in projection.days] == [day(n) for n in range(5, 16)]
    assert [d.commitments for d in projection.days] == [3, 0, 0, 15, 0, 0, 0, 0, 0, 0, 0]
    assert [d.expected_demand for d in projection.days] == [3, 2, 6, 15, 2, 2, 2, 2, 2, 2, 2]
    assert [d.on_hand for d in projection.days] == [37, 35, 29, 14, 12, 10, 8, 6, 4, 2, 0]
    assert projection.first_below_safety_stock == day(11)
    assert projection.first_below_zero is None


def test_the_forecast_is_consumed_by_the_booked_demand_of_its_day() -> None:
    """On-hand 30; 5 a day forecast from the 6th to the 8th. The 6th has a
    line of 2 (the forecast exceeds it: 5 counts), the 7th a line of 6 and a
    commitment of 3 (booked 9 exceeds the forecast: 9 counts), the 8th nothing
    booked (5).

    day:        5   6   7   8
    booked:     0   2   9   0
    forecast:   0   5   5   5
    counted:    0   5   9   5
    on-hand:   30  25  16  11"""
    commitments = (OpenCommitment("C-1", "acme", "contract", day(7), None, 3),)
    position = state(on_hand=30, orders=(Dated(day(6), 2), Dated(day(7), 6)),
                     commitments=commitments)
    projection = project(position, points(day(6), [5.0, 5.0, 5.0]))
    assert [d.expected_demand for d in projection.days] == [0, 5, 9, 5]
    assert [d.on_hand for d in projection.days] == [30, 25, 16, 11]


def test_without_a_forecast_the_booked_demand_is_the_expected_demand() -> None:
    """On-hand 5; a commitment of 7 needed on the 1st (overdue: today) and a
    line of 2 on the 9th: 5 − 7 = −2 today, −2 − 2 = −4 from the 9th."""
    commitments = (OpenCommitment("C-1", "acme", "contract", day(1), None, 7),)
    projection = project(state(on_hand=5, orders=(Dated(day(9), 2),), commitments=commitments),
                         [])
    assert [d.expected_demand for d in projection.days][:5] == [7, 0, 0, 0, 2]
    assert [d.on_hand for d in projection.days][:6] == [-2, -2, -2, -2, -4, -4]
    assert projection.first_below_zero == TODAY
