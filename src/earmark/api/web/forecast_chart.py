"""The position page's forecast chart: each day's forecast with its 80% band
and the projected on-hand, from the same reads as ``GET /v1/forecasts/{sku}``
and ``GET /v1/projection/{sku}``, so the chart shows the API's figures."""

from __future__ import annotations

from typing import Any

from earmark.forecast.planning import projection_of
from earmark.forecast.projection import future_points
from earmark.forecast.store import latest_forecast
from earmark.service.uow import UnitOfWork


def forecast_chart(uow: UnitOfWork, sku: str, location: str) -> dict[str, Any] | None:
    """Per projected day: the forecast mean and its 80% band (null today,
    where the forecast starts tomorrow) and the projected on-hand; with the
    forecast's method. None without a current forecast (one with a day after
    today): the projection alone is the API's to show."""
    today = uow.today
    forecast = latest_forecast(uow.tx, sku, location)
    projection = projection_of(uow.tx, sku, location, today)
    if forecast is None or projection is None or projection["forecast"] is None:
        return None
    points = {p.day.isoformat(): p for p in future_points(forecast.points, today)}
    dates = [d["date"] for d in projection["days"]]

    def band(field: str) -> list[float | None]:
        return [None if d not in points else round(float(getattr(points[d], field)), 2)
                for d in dates]

    return {
        "dates": dates,
        "model": forecast.model,
        "method": forecast.method,
        "method_reason": forecast.method_reason,
        "run_id": forecast.run_id,
        "safety_stock": projection["safety_stock"],
        "forecast": band("mean"),
        "lo80": band("lo80"),
        "hi80": band("hi80"),
        "projected_on_hand": [d["projected_on_hand"] for d in projection["days"]],
        "first_below_safety_stock": projection["first_below_safety_stock"],
        "first_below_zero": projection["first_below_zero"],
    }
