"""Which statsforecast models a series may have, and how one is chosen.

Every position's daily demand series is classified by its average demand
interval (ADI: days observed / days with demand, Syntetos and Boylan's
measure). A series with ``ADI >= INTERMITTENT_ADI`` (1.32, their cut-off:
about a quarter of its days or more without demand) is *intermittent*.

- a smooth series may have ``AutoETS`` (damped trend, weekly season) or
  ``SeasonalNaive``;
- an intermittent series may have ``CrostonOptimized``, ``ADIDA`` or
  ``IMAPA``. Their classification decides the family, not a loss: on a
  series that is zero on most days, the forecast with the lowest absolute
  error is zero, so a cross-validated MASE would reward whichever smooth
  model happens to sit lowest, not the one that forecasts the demand rate
  that replenishment needs (Syntetos, Boylan and Croston 2005 use the same
  classification to pick the method).

Within its family a series' model is chosen by statsforecast's rolling-origin
cross-validation (``CV_WINDOWS`` windows of ``CV_HORIZON_DAYS`` days, one every
``CV_STEP_DAYS``): the lowest MASE wins. A series' MASE and WAPE are both its
total absolute error over the windows divided by a constant of that series,
so they always rank its models alike; the choice is made on the absolute
error itself, which stays defined where their denominators are 0 (a series
without demand), and an exact tie goes to the simpler model (``SIMPLICITY``).

``SeasonalNaive`` is every series' *baseline*: its cross-validated MASE and
WAPE are reported next to the chosen model's, per position and overall, so
that the chosen model can be seen to earn its place.

A series shorter than it must be for cross-validation (``CV_MIN_DAYS``, and
for the intermittent family ``2 * horizon + 1`` days, what conformal
intervals over the horizon need) is forecast by ``SeasonalNaive``, or by
``Naive`` when it holds less than ``NAIVE_BELOW_DAYS`` days; its accuracy is
unknown (None).

Every forecast says its *method* (API.md, "Forecasts"): the chosen model's
name, or ``FALLBACK`` with the reason when no model was chosen for the
series: ``TOO_LITTLE_HISTORY`` (the short series above), or
``MODEL_FAILED`` (the chosen model raised on the series when its forecast
was made, and ``SeasonalNaive`` made the points instead).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

SEASON_DAYS = 7
LEVELS = (80, 95)
"""The prediction intervals every forecast carries, in percent."""

CV_HORIZON_DAYS = 28
CV_WINDOWS = 3
CV_STEP_DAYS = 28
CV_TEST_DAYS = CV_HORIZON_DAYS + CV_STEP_DAYS * (CV_WINDOWS - 1)
"""The last days of a series that cross-validation forecasts (84)."""
CV_MIN_DAYS = CV_TEST_DAYS + 8 * SEASON_DAYS
"""Eight weeks to train on before the first window (140 days in all)."""
TRAINING_DAYS_MAX = 52 * SEASON_DAYS
"""Models are trained on at most the last 52 weeks of a series, in
cross-validation as in the forecast. ETS weighs recent days most anyway, and
its fit costs time in proportion to the days it reads: this halves the cost of
two years of history, which decides whether 10,000 positions take minutes or
an hour (bench ``forecast``)."""
NAIVE_BELOW_DAYS = 2 * SEASON_DAYS
INTERMITTENT_ADI = 1.32

# Conformal intervals over ``h`` days need ``2h + 1`` days of training data;
# a horizon of at most 180 days keeps that within ``TRAINING_DAYS_MAX``.
from earmark.forecast.limits import HORIZON_DAYS_DEFAULT as HORIZON_DAYS_DEFAULT  # noqa: E402
from earmark.forecast.limits import HORIZON_DAYS_MAX as HORIZON_DAYS_MAX  # noqa: E402

ETS_MODEL = "AAA"
ETS_DAMPED = True
"""AutoETS is held to one form, ETS(A,Ad,A): additive errors, a damped trend
and an additive weekly season; its smoothing and damping parameters and
initial states are estimated per series (maximum likelihood). Daily demand
has days of 0, where multiplicative errors are undefined; undamped trends
run away over a 90-day horizon (the search over every form, "ZZZ", was
worse on the generated catalogue and 3.5 times slower); and adding
multiplicative errors to the search ("ZZA") cost 65% more time for no
better accuracy. Damped trend is the robust default of the forecasting
competitions."""

AUTO_ETS = "AutoETS"
SEASONAL_NAIVE = "SeasonalNaive"
NAIVE = "Naive"
CROSTON = "CrostonOptimized"
ADIDA = "ADIDA"
IMAPA = "IMAPA"

BASELINE = SEASONAL_NAIVE
FALLBACK = "fallback"
"""The method of a forecast that no chosen model made."""
TOO_LITTLE_HISTORY = "too_little_history"
MODEL_FAILED = "model_failed"
FALLBACK_REASONS = (TOO_LITTLE_HISTORY, MODEL_FAILED)
FAILED_MODEL_FALLBACK = SEASONAL_NAIVE
"""What makes the points of a series whose chosen model failed on it."""
SMOOTH_CANDIDATES = (AUTO_ETS, SEASONAL_NAIVE)
INTERMITTENT_CANDIDATES = (CROSTON, ADIDA, IMAPA)
INTERMITTENT_MODELS = frozenset(INTERMITTENT_CANDIDATES)
SIMPLICITY = (SEASONAL_NAIVE, NAIVE, ADIDA, CROSTON, IMAPA, AUTO_ETS)
"""Simplest first: an exact tie in cross-validation goes to the earlier."""


def average_demand_interval(y: npt.NDArray[np.float64]) -> float:
    """Days observed per day with demand; infinite for a series without demand."""
    demand_days = int(np.count_nonzero(y > 0))
    return math.inf if demand_days == 0 else len(y) / demand_days


def is_intermittent(y: npt.NDArray[np.float64]) -> bool:
    return average_demand_interval(y) >= INTERMITTENT_ADI


def intermittent_min_days(horizon_days: int) -> int:
    return max(CV_MIN_DAYS, 2 * horizon_days + 1)


def fallback_model(length_days: int) -> str:
    """The model of a series too short to cross-validate."""
    return NAIVE if length_days < NAIVE_BELOW_DAYS else SEASONAL_NAIVE


def method_of(model: str, method_reason: str | None) -> str:
    """A forecast's method: its model's name, or :data:`FALLBACK` when it has a reason to be one."""
    return model if method_reason is None else FALLBACK


def make_models(names: Sequence[str], horizon_days: int | None = None) -> list[Any]:
    """statsforecast model objects, new ones for each call (statsforecast sets
    attributes on them). With ``horizon_days``, the intermittent models carry
    conformal prediction intervals over that horizon (they have no others)."""
    from statsforecast.models import (
        ADIDA as Adida,
    )
    from statsforecast.models import (
        IMAPA as Imapa,
    )
    from statsforecast.models import (
        AutoETS,
        CrostonOptimized,
        Naive,
        SeasonalNaive,
    )
    from statsforecast.utils import ConformalIntervals

    def conformal() -> Any:
        return None if horizon_days is None else ConformalIntervals(n_windows=2, h=horizon_days)

    made: list[Any] = []
    for name in names:
        if name == AUTO_ETS:
            made.append(AutoETS(season_length=SEASON_DAYS, model=ETS_MODEL, damped=ETS_DAMPED))
        elif name == SEASONAL_NAIVE:
            made.append(SeasonalNaive(season_length=SEASON_DAYS))
        elif name == NAIVE:
            made.append(Naive())
        elif name == CROSTON:
            made.append(CrostonOptimized(prediction_intervals=conformal()))
        elif name == ADIDA:
            made.append(Adida(prediction_intervals=conformal()))
        elif name == IMAPA:
            made.append(Imapa(prediction_intervals=conformal()))
        else:
            raise ValueError(f"unknown model {name!r}")
    return made


@dataclass(frozen=True)
class Errors:
    """A model's cross-validated errors on one series, over every window."""

    absolute: float
    """Sum of |actual - forecast| (forecasts below 0 count as 0)."""
    actual: float
    """Sum of |actual|: WAPE's denominator."""
    points: int
    scale: float
    """Mean absolute change from a day to the same weekday a week before, on
    the days before the first window: MASE's denominator."""

    @property
    def mase(self) -> float | None:
        if self.points == 0 or self.scale <= 0:
            return None
        return self.absolute / self.points / self.scale

    @property
    def wape(self) -> float | None:
        return None if self.actual <= 0 else self.absolute / self.actual


def seasonal_scale(y: npt.NDArray[np.float64]) -> float:
    """MASE's scale: the in-sample mean absolute error of the seasonal naive forecast."""
    if len(y) <= SEASON_DAYS:
        return 0.0
    return float(np.mean(np.abs(y[SEASON_DAYS:] - y[:-SEASON_DAYS])))


def choose(errors: dict[str, Errors], candidates: Sequence[str]) -> str:
    """The candidate with the least cross-validated error; a tie to the simpler."""
    return min(candidates, key=lambda name: (errors[name].absolute, SIMPLICITY.index(name)))
