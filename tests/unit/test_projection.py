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


def test_commitments_consume_the_forecast_instead_of_adding_to_it() -> None:
    """Forecast 2 a day from the 6th; a commitment of 15 needed on the 8th.
    Cumulative forecast 2, 4, 6, 8, ..., commitments 0, 0, 15, 15, ...: the
    larger is what is expected, so the commitment covers the forecast until
    the forecast overtakes it on the 13th. A commitment that expires before
    its need date counts nothing."""
    commitments = (
        OpenCommitment("C-1", "acme", "contract", day(8), None, 15),
        OpenCommitment("C-2", "bolt", "forecast", day(10), day(7), 100),
    )
    projection = project(state(on_hand=40, commitments=commitments), points(day(6), [2.0] * 10))
    expected = [d.expected_demand for d in projection.days]
    assert expected == [0, 2, 2, 11, 0, 0, 0, 0, 1, 2, 2]
    assert [d.commitments for d in projection.days][3] == 15
    assert projection.days[-1].on_hand == 40 - 20


def test_without_a_forecast_commitments_are_the_expected_demand() -> None:
    commitments = (OpenCommitment("C-1", "acme", "contract", day(1), None, 7),)
    projection = project(state(on_hand=5, commitments=commitments), [])
    assert projection.days[0].expected_demand == 7
    assert projection.first_below_zero == TODAY
