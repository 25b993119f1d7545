"""The stored forecast of a position: points with intervals, the model and its accuracy."""

from __future__ import annotations

from pydantic import Field

from earmark.api.schemas.common import Day, Out


class ForecastPointOut(Out):
    date: Day
    mean: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


class AccuracyOut(Out):
    mase: float | None = Field(description="Mean absolute scaled error (cross-validated); "
                               "null when the series is too short.")
    wape: float | None = Field(description="Weighted absolute percentage error, as a fraction.")


class BaselineOut(AccuracyOut):
    model: str = Field(description="The baseline the model is measured against (seasonal naive).")


class PositionForecastOut(Out):
    sku: str
    location: str
    run_id: str = Field(description="The forecast run that made it.")
    made_on: Day = Field(description="earmark's today when it was made; points start the day after.")
    model: str = Field(description="The model chosen for this position.")
    horizon_days: int
    points: list[ForecastPointOut]
    accuracy: AccuracyOut
    baseline: BaselineOut
