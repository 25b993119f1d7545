"""The stored forecast of a position: points with intervals, the model and its accuracy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from earmark.api.schemas.common import Day, Out

MethodReason = Literal["too_little_history", "model_failed"]
METHOD_DESCRIPTION = (
    'Which method made the forecast: the name of the statistical model chosen for the position '
    '(AutoETS, SeasonalNaive, CrostonOptimized, ADIDA, IMAPA), or "fallback" when none was: '
    "method_reason then says why.")
METHOD_REASON_DESCRIPTION = (
    'Why the method is "fallback" (null otherwise): too_little_history, a series too short to '
    "cross-validate (model is SeasonalNaive, or Naive under two weeks); model_failed, the chosen "
    "model failed on the series and SeasonalNaive made the points.")


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
    model: str = Field(description="The model that made the points: the chosen one, or the "
                       "fallback's model.")
    method: str = Field(description=METHOD_DESCRIPTION, examples=["AutoETS", "fallback"])
    method_reason: MethodReason | None = Field(description=METHOD_REASON_DESCRIPTION)
    horizon_days: int
    points: list[ForecastPointOut]
    accuracy: AccuracyOut
    baseline: BaselineOut
