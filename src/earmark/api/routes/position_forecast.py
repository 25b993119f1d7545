"""``/v1/forecasts/{sku}``: the stored forecast of a position.

Registered after the router of the forecast runs, whose deprecated paths
(``/v1/forecasts/run``, ``/v1/forecasts/runs...``) must never be taken for a sku."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep, IdQuery, SkuPath
from earmark.api.problems import not_found
from earmark.api.routes import problems
from earmark.api.routes.projection import position_location
from earmark.api.schemas.position_forecast import PositionForecastOut
from earmark.forecast.planning import forecast_out
from earmark.forecast.store import latest_forecast

router = APIRouter(prefix="/v1/forecasts", tags=["forecasts"])


@router.get("/{sku}", response_model=PositionForecastOut, responses=problems(404, 422))
def get_position_forecast(sku: SkuPath, commands: CommandsDep,
                          location: IdQuery = None) -> JSONResponse:
    """The latest forecast of the position: daily points with 80% and 95%
    intervals, the chosen model and its accuracy next to the baseline's.
    ``location`` may be left out only while exactly one location exists."""
    with commands.reading() as uow:
        code = position_location(uow, sku, location)
        forecast = latest_forecast(uow.tx, sku, code)
    if forecast is None:
        raise not_found(f"no forecast of {sku!r} at {code!r}: run one (earmark forecast run)")
    return respond(PositionForecastOut, forecast_out(forecast))
