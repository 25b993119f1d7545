"""The pure parts of forecasting: which family a series belongs to, the
errors a choice is made on, the choice, and how history is assembled into
daily series. No model is fitted here (nor statsforecast imported)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from earmark.forecast import models as m
from earmark.forecast.history import _Rows, position_of, series_id


def with_demand_days(days: int, demand_days: int) -> np.ndarray:
    y = np.zeros(days)
    y[:demand_days] = 3
    return y


def test_a_series_with_demand_on_most_days_is_smooth() -> None:
    assert not m.is_intermittent(with_demand_days(100, 90))


def test_demand_on_fewer_than_one_day_in_1_32_is_intermittent() -> None:
    assert m.average_demand_interval(with_demand_days(132, 100)) == pytest.approx(1.32)
    assert m.is_intermittent(with_demand_days(132, 100))
    assert not m.is_intermittent(with_demand_days(131, 100))


def test_a_series_without_any_demand_is_intermittent() -> None:
    assert m.average_demand_interval(np.zeros(200)) == float("inf")
    assert m.is_intermittent(np.zeros(200))


def test_mase_scales_the_mean_error_by_the_in_sample_seasonal_naive_error() -> None:
    y = np.array([1, 2, 3, 4, 5, 6, 7, 3, 4, 5, 6, 7, 8, 9], dtype=float)
    assert m.seasonal_scale(y) == pytest.approx(2.0)
    errors = m.Errors(absolute=12.0, actual=40.0, points=4, scale=2.0)
    assert errors.mase == pytest.approx(1.5)
    assert errors.wape == pytest.approx(0.3)


def test_mase_and_wape_are_undefined_where_their_denominators_are_zero() -> None:
    assert m.seasonal_scale(np.ones(30)) == 0.0
    errors = m.Errors(absolute=5.0, actual=0.0, points=28, scale=0.0)
    assert errors.mase is None
    assert errors.wape is None


def test_the_least_cross_validated_error_wins() -> None:
    errors = {m.AUTO_ETS: m.Errors(10.0, 100.0, 84, 1.0),
              m.SEASONAL_NAIVE: m.Errors(12.0, 100.0, 84, 1.0)}
    assert m.choose(errors, m.SMOOTH_CANDIDATES) == m.AUTO_ETS


def test_an_exact_tie_goes_to_the_simpler_model() -> None:
    same = m.Errors(10.0, 100.0, 84, 1.0)
    assert m.choose({m.AUTO_ETS: same, m.SEASONAL_NAIVE: same}, m.SMOOTH_CANDIDATES) == m.SEASONAL_NAIVE
    assert m.choose({m.CROSTON: same, m.ADIDA: same, m.IMAPA: same},
                    m.INTERMITTENT_CANDIDATES) == m.ADIDA


def test_series_too_short_to_cross_validate_fall_back_to_naive_forecasts() -> None:
    assert m.fallback_model(m.NAIVE_BELOW_DAYS - 1) == m.NAIVE
    assert m.fallback_model(m.NAIVE_BELOW_DAYS) == m.SEASONAL_NAIVE
    assert m.intermittent_min_days(90) == 181
    assert m.intermittent_min_days(20) == m.CV_MIN_DAYS


def test_history_adds_both_sources_of_a_day_and_fills_days_without_demand() -> None:
    rows = _Rows()
    rows.add([("B", "WEB", "2026-01-03", 2), ("A", "WEB", "2026-01-01", 5)])
    rows.add([("A", "WEB", "2026-01-03", 1), ("A", "WEB", "2026-01-03", 4)])  # the orders of a day
    history = rows.history(date(2026, 1, 4))
    assert history.positions == [("A", "WEB"), ("B", "WEB")]
    assert history.series(0).tolist() == [5, 0, 5, 0]
    assert history.series(1).tolist() == [2, 0]
    frame = history.frame()
    assert frame["unique_id"].tolist() == ["A|WEB"] * 4 + ["B|WEB"] * 2
    assert [d.date() for d in frame["ds"]][:2] == [date(2026, 1, 1), date(2026, 1, 2)]
    assert frame["y"].tolist() == [5, 0, 5, 0, 2, 0]


def test_a_series_id_names_its_position() -> None:
    assert position_of(series_id("BEAM-W12", "YARD")) == ("BEAM-W12", "YARD")
