"""The stored forecasts: one per position, the latest run's. This module is
the contract between the forecasting runs (which write) and what reads
forecasts (the API, projection, suggestions, the CLI)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from earmark.forecast.models import method_of
from earmark.store import tables as t


@dataclass(frozen=True)
class ForecastPoint:
    """One day's forecast demand with its 80% and 95% prediction intervals."""

    day: date
    mean: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


@dataclass(frozen=True)
class Accuracy:
    """Rolling-origin cross-validation errors; None where a series is too short."""

    mase: float | None
    wape: float | None


@dataclass(frozen=True)
class PositionForecast:
    sku: str
    location: str
    run_id: str
    made_on: date  # earmark's today when the run was made; points start the day after
    model: str
    points: tuple[ForecastPoint, ...]
    accuracy: Accuracy
    baseline_model: str
    baseline: Accuracy
    method_reason: str | None = None
    """Why the method is ``fallback`` (``too_little_history``, ``model_failed``);
    None when ``model`` is the one chosen for the position."""

    @property
    def method(self) -> str:
        """The chosen model's name, or ``fallback``."""
        return method_of(self.model, self.method_reason)


def _accuracy(value: dict[str, Any]) -> Accuracy:
    return Accuracy(value.get("mase"), value.get("wape"))


def _row(f: PositionForecast, now: datetime) -> dict[str, Any]:
    return {
        "sku": f.sku, "location": f.location, "run_id": f.run_id, "made_on": f.made_on,
        "model": f.model, "method_reason": f.method_reason,
        "points": [{"date": p.day.isoformat(), "mean": p.mean, "lo80": p.lo80, "hi80": p.hi80,
                    "lo95": p.lo95, "hi95": p.hi95} for p in f.points],
        "accuracy": {"model": {"mase": f.accuracy.mase, "wape": f.accuracy.wape},
                     "baseline": {"model": f.baseline_model, "mase": f.baseline.mase,
                                  "wape": f.baseline.wape}},
        "created_at": now,
    }


def _forecast(row: Any) -> PositionForecast:
    acc = row.accuracy
    return PositionForecast(
        sku=row.sku, location=row.location, run_id=row.run_id, made_on=row.made_on, model=row.model,
        points=tuple(ForecastPoint(date.fromisoformat(p["date"]), p["mean"], p["lo80"], p["hi80"],
                                   p["lo95"], p["hi95"]) for p in row.points),
        accuracy=_accuracy(acc["model"]), baseline_model=acc["baseline"]["model"],
        baseline=_accuracy(acc["baseline"]), method_reason=row.method_reason,
    )


def save_forecasts(conn: Connection, forecasts: Iterable[PositionForecast], now: datetime) -> int:
    """Replace the stored forecast of each given position (inside the caller's transaction)."""
    rows = [_row(f, now) for f in forecasts]
    if not rows:
        return 0
    keys = {(r["sku"], r["location"]) for r in rows}
    for sku, location in keys:
        conn.execute(delete(t.forecasts).where(t.forecasts.c.sku == sku,
                                               t.forecasts.c.location == location))
    conn.execute(t.forecasts.insert(), rows)
    return len(rows)


def latest_forecast(conn: Connection, sku: str, location: str) -> PositionForecast | None:
    row = conn.execute(select(t.forecasts).where(t.forecasts.c.sku == sku,
                                                 t.forecasts.c.location == location)).first()
    return _forecast(row) if row is not None else None


def forecasts_of(conn: Connection, sku: str | None = None, location: str | None = None
                 ) -> list[PositionForecast]:
    """Every stored forecast (of one sku, at one location, if given), by sku and location."""
    query = select(t.forecasts).order_by(t.forecasts.c.sku, t.forecasts.c.location)
    if sku is not None:
        query = query.where(t.forecasts.c.sku == sku)
    if location is not None:
        query = query.where(t.forecasts.c.location == location)
    return [_forecast(r) for r in conn.execute(query)]
