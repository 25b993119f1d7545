"""The forecasting engine on series whose structure is known: statsforecast's
models really fitted (no database). Small series counts keep it to seconds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
import pytest

from earmark.forecast import models as m
from earmark.forecast.engine import LocalBackend, SeriesForecast, Tally, forecast_frame
from earmark.forecast.execution import position_forecasts

pytestmark = pytest.mark.xdist_group("forecast")

FIRST_DAY = pd.Timestamp("2024-01-01")
WEEKLY = np.array([0.8, 0.9, 1.0, 1.0, 1.1, 1.4, 0.8])
LEVEL = 100.0
NOISE_SD = 5.0
HELD_OUT_DAYS = 28
WAPE_BOUND = 0.08
"""Noise of sd 5 on a level of 100 alone makes a WAPE of about 0.04 (0.8 × 5 / 100)."""


def frame(series: dict[str, np.ndarray]) -> pd.DataFrame:
    parts = [pd.DataFrame({"unique_id": uid, "ds": pd.date_range(FIRST_DAY, periods=len(y), freq="D"),
                           "y": y.astype(float)}) for uid, y in sorted(series.items())]
    return pd.concat(parts, ignore_index=True)


def level_and_week(days: int, rng: np.random.Generator) -> np.ndarray:
    weekday = (np.arange(days) + FIRST_DAY.weekday()) % 7
    return np.round(LEVEL * WEEKLY[weekday] + rng.normal(0, NOISE_SD, days)).clip(0)


def intermittent(days: int, share: float, rng: np.random.Generator) -> np.ndarray:
    return np.where(rng.random(days) < share, 1 + rng.poisson(3, days), 0).astype(float)


def test_a_level_with_a_weekly_pattern_is_forecast_within_the_stated_error() -> None:
    rng = np.random.default_rng(42)
    series = {f"S{i}|WEB": level_and_week(730 + HELD_OUT_DAYS, rng) for i in range(5)}
    known = frame({uid: y[:-HELD_OUT_DAYS] for uid, y in series.items()})
    results = forecast_frame(known, HELD_OUT_DAYS, LocalBackend(1))
    actual = np.concatenate([series[r.unique_id][-HELD_OUT_DAYS:] for r in results])
    mean = np.concatenate([r.mean for r in results])
    lo80, hi80 = np.concatenate([r.lo80 for r in results]), np.concatenate([r.hi80 for r in results])
    lo95, hi95 = np.concatenate([r.lo95 for r in results]), np.concatenate([r.hi95 for r in results])
    wape = np.abs(actual - mean).sum() / actual.sum()
    assert wape <= WAPE_BOUND, wape
    assert {r.model for r in results} == {m.AUTO_ETS}
    assert {(r.method, r.method_reason) for r in results} == {(m.AUTO_ETS, None)}
    # 140 held-out days: the 80% interval should hold about 80% of them, the 95% nearly all.
    assert 0.65 <= np.mean((actual >= lo80) & (actual <= hi80)) <= 0.93
    assert np.mean((actual >= lo95) & (actual <= hi95)) >= 0.85
    assert all((r.lo95 <= r.lo80).all() and (r.lo80 <= r.mean).all() and (r.mean <= r.hi80).all()
               and (r.hi80 <= r.hi95).all() for r in results)
    for r in results:
        assert r.errors is not None and r.baseline is not None
        assert r.errors.mase is not None and r.baseline.mase is not None
        assert r.errors.mase < r.baseline.mase  # it earns its place over the seasonal naive


def test_intermittent_series_choose_an_intermittent_model() -> None:
    rng = np.random.default_rng(7)
    series = {f"SPARE-{i}|WEB": intermittent(730, share, rng)
              for i, share in enumerate((0.05, 0.1, 0.2, 0.3))}
    series["SMOOTH|WEB"] = level_and_week(730, rng)
    results = {r.unique_id: r for r in forecast_frame(frame(series), 90, LocalBackend(1))}
    for uid in series:
        if uid.startswith("SPARE"):
            assert results[uid].intermittent
            assert results[uid].model in m.INTERMITTENT_MODELS, (uid, results[uid].model)
            assert results[uid].errors is not None and results[uid].baseline is not None
            assert (results[uid].lo80 >= 0).all() and (results[uid].hi95 > 0).any()
    assert not results["SMOOTH|WEB"].intermittent
    assert results["SMOOTH|WEB"].model in m.SMOOTH_CANDIDATES
    assert all(len(r.mean) == 90 for r in results.values())


def test_series_too_short_to_cross_validate_get_a_naive_forecast_without_accuracy() -> None:
    rng = np.random.default_rng(3)
    series = {"NEW|WEB": np.array([4.0, 6.0, 5.0]), "YOUNG|WEB": level_and_week(60, rng),
              "SPARSE|WEB": intermittent(200, 0.1, rng)}  # intermittent, shorter than 2 × 120 + 1
    results = {r.unique_id: r for r in forecast_frame(frame(series), 120, LocalBackend(1))}
    assert results["NEW|WEB"].model == m.NAIVE
    assert results["YOUNG|WEB"].model == m.SEASONAL_NAIVE
    assert results["SPARSE|WEB"].model == m.SEASONAL_NAIVE
    for r in results.values():
        assert (r.method, r.method_reason) == (m.FALLBACK, m.TOO_LITTLE_HISTORY)
        assert r.errors is None and r.baseline is None
        assert len(r.mean) == 120
        assert min(r.mean.min(), r.lo80.min(), r.lo95.min()) >= 0  # demand is never negative
        assert not np.isnan(np.concatenate([r.mean, r.lo80, r.hi80, r.lo95, r.hi95])).any()


class FailingOn:
    """statsforecast on this machine, except that ``model`` raises whenever
    it is asked to forecast the series ``uid`` (as a model that cannot fit
    one odd series does); cross-validation is left alone."""

    name = "local"

    def __init__(self, model: str, uid: str) -> None:
        self.model, self.uid, self.inner = model, uid, LocalBackend(1)
        self.forecast_calls = 0

    def cross_validation(self, model_names: Sequence[str], frame: pd.DataFrame,
                         *, refit: bool) -> pd.DataFrame:
        return self.inner.cross_validation(model_names, frame, refit=refit)

    def forecast(self, model_names: Sequence[str], frame: pd.DataFrame,
                 *, horizon_days: int) -> pd.DataFrame:
        self.forecast_calls += 1
        if self.model in model_names and self.uid in set(frame["unique_id"]):
            raise ValueError(f"{self.model} cannot fit {self.uid}")
        return self.inner.forecast(model_names, frame, horizon_days=horizon_days)


def test_a_model_that_fails_on_a_series_falls_back_and_says_so() -> None:
    rng = np.random.default_rng(42)
    series = {f"S{i}|WEB": level_and_week(200, rng) for i in range(4)}
    healthy = {r.unique_id: r for r in forecast_frame(frame(series), 14, LocalBackend(1))}
    assert {r.model for r in healthy.values()} == {m.AUTO_ETS}
    backend = FailingOn(m.AUTO_ETS, "S2|WEB")
    results = {r.unique_id: r for r in forecast_frame(frame(series), 14, backend)}
    broken = results["S2|WEB"]
    assert (broken.method, broken.method_reason, broken.model) == (
        m.FALLBACK, m.MODEL_FAILED, m.SEASONAL_NAIVE)
    y = series["S2|WEB"]
    assert broken.mean.tolist() == pytest.approx(np.tile(y[-7:], 2), abs=1e-3)  # seasonal naive
    for uid in ("S0|WEB", "S1|WEB", "S3|WEB"):
        assert (results[uid].method, results[uid].method_reason) == (m.AUTO_ETS, None)
        assert results[uid].mean.tolist() == healthy[uid].mean.tolist()
    # The whole chunk, the fallback, then halves and quarters: the failure is found in a few calls.
    assert backend.forecast_calls <= 6
    tally = Tally()
    tally.add(list(results.values()))
    assert tally.summary()["model_failed"] == 1


def test_every_candidate_is_a_statsforecast_model_with_its_name() -> None:
    made = m.make_models([*m.SMOOTH_CANDIDATES, *m.INTERMITTENT_CANDIDATES, m.NAIVE], horizon_days=30)
    assert [repr(model) for model in made] == [
        "AutoETS", "SeasonalNaive", "CrostonOptimized", "ADIDA", "IMAPA", "Naive"]
    # Croston, ADIDA and IMAPA have no intervals of their own: conformal ones, over the horizon.
    assert all(model.prediction_intervals.h == 30 for model in made[2:5])


def test_a_fallbacks_reason_is_stored_with_its_forecast() -> None:
    ones = np.ones(2)
    made = SeriesForecast("NEW|WEB", m.NAIVE, False, ones, ones, ones, ones, ones, None, None,
                          method_reason=m.TOO_LITTLE_HISTORY)
    [stored] = position_forecasts([made], "run-1", date(2026, 1, 5))
    assert (stored.sku, stored.model, stored.method, stored.method_reason) == (
        "NEW", m.NAIVE, m.FALLBACK, m.TOO_LITTLE_HISTORY)
