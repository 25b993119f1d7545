"""The forecasting engine: statsforecast's cross-validation chooses each
series' model (``earmark.forecast.models``), then its forecast is made with
80% and 95% prediction intervals.

The same steps run on one machine (:class:`LocalBackend`: statsforecast's own
process pool, ``n_jobs``) or on a Dask cluster (:class:`DaskBackend`: the same
statsforecast calls handed a Dask DataFrame, which statsforecast runs through
its Fugue backend, one series per task). Both backends round what the models
return to float32 (the precision of the Fugue path's output schema) before
anything is scored or chosen, so the two make the same choices and the same
forecasts.

Input is a frame of daily series (``unique_id``, ``ds``, ``y``), sorted by
series and day, every series without gaps and ending on the same day.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from earmark.extras import require
from earmark.forecast import models as m

Floats = npt.NDArray[np.float64]


class Backend(Protocol):
    """Where statsforecast runs. Both calls take and return pandas frames."""

    name: str

    def cross_validation(self, model_names: Sequence[str], frame: pd.DataFrame,
                         *, refit: bool) -> pd.DataFrame: ...

    def forecast(self, model_names: Sequence[str], frame: pd.DataFrame,
                 *, horizon_days: int) -> pd.DataFrame:
        """Raises if a model fails on any series: the engine then falls back."""
        ...


@contextmanager
def _quiet() -> Iterator[None]:
    # statsforecast and Dask warn about short seasons, pandas deprecations and
    # shuffles; what matters is reported in the run's summary instead.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _fallback() -> Any:
    """What a model that fails on a series gives way to in cross-validation
    (statsforecast's ``fallback_model``), so that one odd series cannot fail
    a whole run: its errors are then the baseline's and the tie goes to the
    baseline. The forecast itself is made without it: statsforecast would
    name the fallback's points after the model that failed, so the engine
    falls back itself (:func:`_forecast_each`) and says so."""
    return m.make_models([m.SEASONAL_NAIVE])[0]


def _cv_kwargs(refit: bool) -> dict[str, Any]:
    return {"h": m.CV_HORIZON_DAYS, "n_windows": m.CV_WINDOWS, "step_size": m.CV_STEP_DAYS,
            "input_size": m.TRAINING_DAYS_MAX, "refit": refit}


class LocalBackend:
    """statsforecast on this machine, over ``n_jobs`` processes."""

    name = "local"

    def __init__(self, n_jobs: int = 1) -> None:
        self.n_jobs = n_jobs

    def cross_validation(self, model_names: Sequence[str], frame: pd.DataFrame,
                         *, refit: bool) -> pd.DataFrame:
        from statsforecast import StatsForecast

        sf = StatsForecast(m.make_models(model_names), freq="D", n_jobs=self.n_jobs,
                           fallback_model=_fallback())
        with _quiet():
            return _normalised(sf.cross_validation(df=frame, **_cv_kwargs(refit)))

    def forecast(self, model_names: Sequence[str], frame: pd.DataFrame,
                 *, horizon_days: int) -> pd.DataFrame:
        from statsforecast import StatsForecast

        sf = StatsForecast(m.make_models(model_names, horizon_days), freq="D", n_jobs=self.n_jobs)
        with _quiet():
            return _normalised(sf.forecast(df=frame, h=horizon_days, level=list(m.LEVELS)))


class DaskBackend:
    """The same statsforecast calls on a Dask cluster: a Dask DataFrame makes
    statsforecast run them through its Fugue backend on the cluster that
    ``client`` (a ``distributed.Client``) is connected to."""

    name = "dask"

    def __init__(self, client: Any, partitions: int | None = None) -> None:
        self.client = client
        self.partitions = partitions

    def _distributed(self, frame: pd.DataFrame) -> Any:
        dd = require("dask.dataframe", "dask")
        workers = len(self.client.scheduler_info().get("workers", {})) or 1
        return dd.from_pandas(frame, npartitions=self.partitions or 2 * workers)

    def cross_validation(self, model_names: Sequence[str], frame: pd.DataFrame,
                         *, refit: bool) -> pd.DataFrame:
        from statsforecast import StatsForecast

        sf = StatsForecast(m.make_models(model_names), freq="D", fallback_model=_fallback())
        with _quiet():
            result = sf.cross_validation(df=self._distributed(frame), **_cv_kwargs(refit))
            return _normalised(result.compute())

    def forecast(self, model_names: Sequence[str], frame: pd.DataFrame,
                 *, horizon_days: int) -> pd.DataFrame:
        from statsforecast import StatsForecast

        sf = StatsForecast(m.make_models(model_names, horizon_days), freq="D")
        with _quiet():
            result = sf.forecast(df=self._distributed(frame), h=horizon_days,
                                 level=list(m.LEVELS))
            return _normalised(result.compute())


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """One shape from both backends: plain dtypes, model outputs rounded to
    float32, rows by series, cutoff and day."""
    out = pd.DataFrame({"unique_id": frame["unique_id"].astype(str).to_numpy(dtype=object)})
    out["ds"] = pd.to_datetime(frame["ds"].to_numpy()).as_unit("ns")
    if "cutoff" in frame.columns:
        out["cutoff"] = pd.to_datetime(frame["cutoff"].to_numpy()).as_unit("ns")
    for column in frame.columns:
        if column in ("unique_id", "ds", "cutoff"):
            continue
        values = frame[column].to_numpy(dtype=np.float32, na_value=np.nan)
        out[column] = values.astype(np.float64)
    keys = ["unique_id", "cutoff", "ds"] if "cutoff" in out.columns else ["unique_id", "ds"]
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class SeriesForecast:
    """One series' chosen model, its forecast and its cross-validated errors."""

    unique_id: str
    model: str
    intermittent: bool
    mean: Floats
    lo80: Floats
    hi80: Floats
    lo95: Floats
    hi95: Floats
    errors: m.Errors | None
    """The chosen model's; None for a series too short to cross-validate."""
    baseline: m.Errors | None
    """The seasonal naive forecast's, on the same windows."""
    method_reason: str | None = None
    """Why the method is :data:`~earmark.forecast.models.FALLBACK`
    (:data:`~earmark.forecast.models.FALLBACK_REASONS`); None when ``model``
    is the chosen one."""

    @property
    def method(self) -> str:
        return m.method_of(self.model, self.method_reason)


@dataclass
class Tally:
    """What a run reports overall, added up series by series."""

    positions: int = 0
    cross_validated: int = 0
    too_short: int = 0
    intermittent: int = 0
    better_than_baseline: int = 0
    model_failed: int = 0
    models: dict[str, int] = field(default_factory=dict)
    absolute: float = 0.0
    baseline_absolute: float = 0.0
    actual: float = 0.0
    mase_sum: float = 0.0
    mase_count: int = 0
    baseline_mase_sum: float = 0.0
    baseline_mase_count: int = 0

    def add(self, forecasts: Sequence[SeriesForecast]) -> None:
        for f in forecasts:
            self.positions += 1
            self.models[f.model] = self.models.get(f.model, 0) + 1
            self.intermittent += int(f.intermittent)
            self.model_failed += int(f.method_reason == m.MODEL_FAILED)
            if f.errors is None or f.baseline is None:
                self.too_short += 1
                continue
            self.cross_validated += 1
            self.absolute += f.errors.absolute
            self.baseline_absolute += f.baseline.absolute
            self.actual += f.errors.actual
            self.better_than_baseline += int(f.errors.absolute < f.baseline.absolute)
            if f.errors.mase is not None and f.baseline.mase is not None:
                self.mase_sum += f.errors.mase
                self.mase_count += 1
                self.baseline_mase_sum += f.baseline.mase
                self.baseline_mase_count += 1

    def summary(self) -> dict[str, Any]:
        def ratio(a: float, b: float | int) -> float | None:
            return round(a / b, 4) if b else None

        return {
            "positions": self.positions,
            "cross_validated": self.cross_validated,
            "too_short": self.too_short,
            "intermittent": self.intermittent,
            "model_failed": self.model_failed,
            "models": dict(sorted(self.models.items())),
            "accuracy": {
                "model": {"mase": ratio(self.mase_sum, self.mase_count),
                          "wape": ratio(self.absolute, self.actual)},
                "baseline": {"model": m.BASELINE,
                             "mase": ratio(self.baseline_mase_sum, self.baseline_mase_count),
                             "wape": ratio(self.baseline_absolute, self.actual)},
                "better_than_baseline": self.better_than_baseline,
            },
            "cross_validation": {"horizon_days": m.CV_HORIZON_DAYS, "windows": m.CV_WINDOWS,
                                 "step_days": m.CV_STEP_DAYS,
                                 "training_days_max": m.TRAINING_DAYS_MAX},
        }


@dataclass(frozen=True)
class _Series:
    uid: str
    y: Floats
    intermittent: bool
    group: str
    """``smooth`` or ``intermittent`` (cross-validated), or ``short``."""


def _split(frame: pd.DataFrame, horizon_days: int) -> list[_Series]:
    uids = frame["unique_id"].to_numpy()
    y = frame["y"].to_numpy(dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, uids[1:] != uids[:-1]])
    ends = np.r_[starts[1:], len(uids)]
    out: list[_Series] = []
    for start, end in zip(starts, ends, strict=True):
        values = y[start:end]
        intermittent = m.is_intermittent(values)
        if intermittent:
            group = "intermittent" if len(values) >= m.intermittent_min_days(horizon_days) else "short"
        else:
            group = "smooth" if len(values) >= m.CV_MIN_DAYS else "short"
        out.append(_Series(str(uids[start]), values, intermittent, group))
    return out


def _tail(frame: pd.DataFrame, uids: Sequence[str], days: int) -> pd.DataFrame:
    part = frame[frame["unique_id"].isin(uids)]
    return part.groupby("unique_id", sort=False).tail(days).reset_index(drop=True)


def _errors(cv: pd.DataFrame, names: Sequence[str], scales: dict[str, float]
            ) -> dict[str, dict[str, m.Errors]]:
    """Each series' errors per model over every window (series in ``cv``'s order)."""
    codes, uniques = pd.factorize(cv["unique_id"], sort=False)
    actual = cv["y"].to_numpy(dtype=np.float64)
    points = np.bincount(codes, minlength=len(uniques))
    actual_sums = np.bincount(codes, weights=np.abs(actual), minlength=len(uniques))
    out: dict[str, dict[str, m.Errors]] = {str(uid): {} for uid in uniques}
    for name in names:
        predicted = np.clip(np.nan_to_num(cv[name].to_numpy(dtype=np.float64)), 0.0, None)
        absolute = np.bincount(codes, weights=np.abs(actual - predicted), minlength=len(uniques))
        for i, uid in enumerate(uniques):
            out[str(uid)][name] = m.Errors(float(absolute[i]), float(actual_sums[i]),
                                           int(points[i]), scales[str(uid)])
    return out


def _bounded(values: pd.Series, fallback: Floats) -> Floats:
    """Demand is never negative; a value a model could not give takes ``fallback``."""
    array = values.to_numpy(dtype=np.float64)
    array = np.where(np.isnan(array), fallback, array)
    return np.clip(array, 0.0, None)


def forecast_frame(frame: pd.DataFrame, horizon_days: int, backend: Backend
                   ) -> list[SeriesForecast]:
    """Choose each series' model by cross-validation and forecast ``horizon_days`` days."""
    series = _split(frame, horizon_days)
    chosen: dict[str, str] = {}
    errors: dict[str, dict[str, m.Errors]] = {}
    for group, candidates, refit in (
        ("smooth", m.SMOOTH_CANDIDATES, False),
        # Croston, ADIDA and IMAPA cannot carry a fit over to the next window
        # (no ``forward``): they are refitted per window, which costs little.
        ("intermittent", (*m.INTERMITTENT_CANDIDATES, m.BASELINE), True),
    ):
        members = [s for s in series if s.group == group]
        if not members:
            continue
        cv = backend.cross_validation(
            candidates, _tail(frame, [s.uid for s in members], m.TRAINING_DAYS_MAX + m.CV_TEST_DAYS),
            refit=refit)
        scales = {s.uid: m.seasonal_scale(s.y[: len(s.y) - m.CV_TEST_DAYS]) for s in members}
        errors.update(_errors(cv, candidates, scales))
        family = m.INTERMITTENT_CANDIDATES if group == "intermittent" else m.SMOOTH_CANDIDATES
        for s in members:
            chosen[s.uid] = m.choose(errors[s.uid], family)
    for s in series:
        if s.group == "short":
            chosen[s.uid] = m.fallback_model(len(s.y))
    by_model: dict[str, list[str]] = {}
    for s in series:
        by_model.setdefault(chosen[s.uid], []).append(s.uid)
    forecasts: dict[str, pd.DataFrame] = {}
    failed: set[str] = set()
    for name in sorted(by_model):
        made, failed_here = _forecast_each(backend, name, _tail(frame, by_model[name],
                                                                 m.TRAINING_DAYS_MAX), horizon_days)
        forecasts.update(made)
        failed |= failed_here
    out: list[SeriesForecast] = []
    for s in series:
        name, rows = chosen[s.uid], forecasts[s.uid]
        reason = None
        if s.uid in failed:
            name, reason = m.FAILED_MODEL_FALLBACK, m.MODEL_FAILED
        elif s.group == "short":
            reason = m.TOO_LITTLE_HISTORY
        mean = _bounded(rows[name], np.zeros(len(rows)))
        own = errors.get(s.uid)
        out.append(SeriesForecast(
            unique_id=s.uid, model=name, intermittent=s.intermittent, mean=mean,
            lo80=_bounded(rows[f"{name}-lo-80"], mean), hi80=_bounded(rows[f"{name}-hi-80"], mean),
            lo95=_bounded(rows[f"{name}-lo-95"], mean), hi95=_bounded(rows[f"{name}-hi-95"], mean),
            errors=own[name] if own else None, baseline=own[m.BASELINE] if own else None,
            method_reason=reason))
    return out


def _by_series(result: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {str(uid): rows for uid, rows in result.groupby("unique_id", sort=False)}


def _forecast_each(backend: Backend, name: str, part: pd.DataFrame, horizon_days: int
                   ) -> tuple[dict[str, pd.DataFrame], set[str]]:
    """Each series' forecast rows by model ``name``, and the series it failed on.

    statsforecast fails a whole call when the model raises on one series. Then
    the call is made again with :data:`~earmark.forecast.models.FAILED_MODEL_FALLBACK`
    (whose rows the failed series keep; if that fails too, the error is not the
    model's and is raised), and the series are halved until the failing ones
    are found: a few calls more, and only on a chunk where a model failed."""
    try:
        return _by_series(backend.forecast([name], part, horizon_days=horizon_days)), set()
    except Exception:
        if name == m.FAILED_MODEL_FALLBACK:
            raise
    fallback = _by_series(backend.forecast([m.FAILED_MODEL_FALLBACK], part,
                                           horizon_days=horizon_days))
    every = list(fallback)
    if len(every) == 1:
        return fallback, set(every)
    made: dict[str, pd.DataFrame] = {}
    failed: set[str] = set()
    pending = [every[: len(every) // 2], every[len(every) // 2:]]  # the whole failed already
    while pending:
        uids = pending.pop()
        try:
            made.update(_by_series(backend.forecast(
                [name], part[part["unique_id"].isin(uids)], horizon_days=horizon_days)))
        except Exception:
            if len(uids) == 1:
                failed.add(uids[0])
                made[uids[0]] = fallback[uids[0]]
            else:
                pending += [uids[: len(uids) // 2], uids[len(uids) // 2:]]
    return made, failed
