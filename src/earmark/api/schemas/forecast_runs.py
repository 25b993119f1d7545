"""Forecast runs: one forecast of every position with demand history, worked
in the background, with its progress and, at the end, its overall accuracy."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from earmark.api.schemas.common import Day, In, NextCursor, Out, Timestamp
from earmark.forecast.models import HORIZON_DAYS_DEFAULT, HORIZON_DAYS_MAX

RunStatus = Literal["queued", "running", "succeeded", "failed"]
RunBackend = Literal["local", "dask"]
Ratio = Annotated[float | None, Field(description="null where it is undefined (no demand).")]


class ForecastRunCreate(In):
    backend: RunBackend = Field(
        default="local",
        description="local: statsforecast on the server's machine, one process per core "
        "(EARMARK_FORECAST_JOBS); dask: the Dask cluster at EARMARK_DASK_SCHEDULER (a local "
        "cluster without it).")
    horizon_days: int = Field(default=HORIZON_DAYS_DEFAULT, strict=True, ge=1, le=HORIZON_DAYS_MAX,
                              description="Days to forecast, from the day after today.")


class RunAccuracy(Out):
    mase: Ratio = Field(description="Mean over the cross-validated positions of their MASE.")
    wape: Ratio = Field(description="Absolute error over all cross-validated positions, "
                        "divided by their total demand over the same days.")


class BaselineAccuracy(RunAccuracy):
    model: str = Field(examples=["SeasonalNaive"])


class RunAccuracies(Out):
    model: RunAccuracy = Field(description="Each position's chosen model.")
    baseline: BaselineAccuracy = Field(description="The seasonal naive forecast, on the same days.")
    better_than_baseline: int = Field(
        description="Positions whose chosen model erred less than the baseline in cross-validation.")


class CrossValidation(Out):
    horizon_days: int
    windows: int
    step_days: int
    training_days_max: int


class RunSummary(Out):
    positions: int
    cross_validated: int
    too_short: int = Field(description="Positions with too little history to cross-validate: "
                           "seasonal naive (or naive), accuracy unknown; their forecast's method "
                           "is \"fallback\".")
    intermittent: int = Field(description="Positions with demand on fewer than 1 day in 1.32.")
    model_failed: int = Field(
        default=0, description="Positions whose chosen model failed on the series: their "
        "forecast's method is \"fallback\" (seasonal naive). 0 in runs made before it was counted.")
    models: dict[str, int] = Field(description="Positions per chosen model.",
                                   examples=[{"AutoETS": 9, "CrostonOptimized": 2}])
    accuracy: RunAccuracies
    cross_validation: CrossValidation
    backend: str
    elapsed_seconds: float


class ForecastRunOut(Out):
    id: str
    status: RunStatus
    backend: RunBackend
    horizon_days: int
    made_on: Day = Field(description="Today when the run was asked for; forecasts start the day after.")
    positions_total: int = Field(description="Positions with demand history (0 until the run has "
                                 "read it).")
    positions_done: int = Field(description="Positions whose forecast is stored.")
    progress: float = Field(ge=0, le=1, description="positions_done / positions_total.")
    summary: RunSummary | None = Field(description="Once succeeded.")
    error: str | None = Field(description="Once failed: why.")
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None


class ForecastRunPage(Out):
    items: list[ForecastRunOut]
    next_cursor: NextCursor
