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
    3 a day forecast from the 6th to the 14th.

    day:       5   6   7   8   9  10  11  12  13  14
    receipts: +3          +10
    orders:   -4      -9
    forecast:     -3  -3  -3  -3  -3  -3  -3  -3  -3
    on-hand:  19  16   4  11   8   5   2  -1  -4  -7
    """
    position = state(
        on_hand=20, safety_stock=5,
        receipts=(Dated(day(8), 10), Dated(day(2), 3)),
        orders=(Dated(day(3), 4), Dated(day(7), 9)),
    )
    projection = project(position, points(day(6), [3.0] * 9))
    assert [d.day for d in projection.days] == [day(n) for n in range(5, 15)]
    assert [d.on_hand for d in projection.days] == [19, 16, 4, 11, 8, 5, 2, -1, -4, -7]
    assert [d.receipts for d in projection.days][:4] == [3, 0, 0, 10]
    assert [d.orders for d in projection.days][:3] == [4, 0, 9]
    assert projection.first_below_safety_stock == day(7)
    assert projection.first_below_zero == day(12)


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


def test_projection_subtracts_open_orders_open_commitments_and_the_forecast() -> None:
    """The issue's literal reading: each day, stock += receipts − orders −
    commitments − forecast (the commitments are not netted against the
    forecast). On-hand 40, safety stock 10; a line of 6 on the 7th; C-3, 3
    units needed on the 2nd (overdue: today); C-1, 15 needed on the 8th;
    C-2, 100 needed on the 10th but expiring on the 7th (released before it
    is needed: nothing); 2 a day forecast from the 6th to the 15th.

    day:          5   6   7   8   9  10  11  12  13  14  15
    orders:              -6
    commitments: -3          -15
    forecast:        -2  -2  -2  -2  -2  -2  -2  -2  -2  -2
    expected:     3   2   2  17   2   2   2   2   2   2   2
    on-hand:     37  35  27  10   8   6   4   2   0  -2  -4

    Below the safety stock 10 on the 9th (on it on the 8th), below zero on
    the 14th; 40 − 6 − 18 − 20 = −4 at the end."""
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
    assert [d.expected_demand for d in projection.days] == [3, 2, 2, 17, 2, 2, 2, 2, 2, 2, 2]
    assert [d.on_hand for d in projection.days] == [37, 35, 27, 10, 8, 6, 4, 2, 0, -2, -4]
    assert projection.first_below_safety_stock == day(9)
    assert projection.first_below_zero == day(14)


def test_without_a_forecast_commitments_are_the_expected_demand() -> None:
    """On-hand 5; a commitment of 7 needed on the 1st (overdue: today) and a
    line of 2 on the 9th: 5 − 7 = −2 today, −2 − 2 = −4 from the 9th."""
    commitments = (OpenCommitment("C-1", "acme", "contract", day(1), None, 7),)
    projection = project(state(on_hand=5, orders=(Dated(day(9), 2),), commitments=commitments),
                         [])
    assert [d.expected_demand for d in projection.days][:5] == [7, 0, 0, 0, 0]
    assert [d.on_hand for d in projection.days][:6] == [-2, -2, -2, -2, -4, -4]
    assert projection.first_below_zero == TODAY
