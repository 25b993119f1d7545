"""The position page's forecast chart in a real browser, on the demo data:
a demo position given a forecast (written as a forecasting run stores one)
shows it with its 80% band and the projected on-hand, beside the ATP chart,
with a legend that names every series."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.conftest import Server, ok

from earmark.demo.data import DEMO_TODAY
from earmark.forecast.store import Accuracy, ForecastPoint, PositionForecast, save_forecasts
from earmark.service.uow import Store

SKU, LOCATION = "BEAM-W12", "YARD"
SERIES = ["Date", "Forecast (AutoETS)", "80% band, low", "80% band, high", "Projected on-hand"]


@pytest.fixture(scope="module")
def forecast(demo_server: Server, demo_database_url: str) -> Iterator[PositionForecast]:
    points = tuple(ForecastPoint(DEMO_TODAY + timedelta(days=i), 100.0 + i, 80.0 + i, 120.0 + i,
                                 70.0 + i, 130.0 + i) for i in range(1, 29))
    made = PositionForecast(SKU, LOCATION, "run-browser", DEMO_TODAY, "AutoETS", points,
                            Accuracy(0.7, 0.2), "SeasonalNaive", Accuracy(1.0, 0.3))
    store = Store(demo_database_url)
    try:
        with store.engine.begin() as conn:
            save_forecasts(conn, [made], datetime.now(UTC))
    finally:
        store.dispose()
    yield made


def test_the_position_page_charts_the_forecast_band_and_projection_with_a_named_legend(
        demo_server: Server, forecast: PositionForecast, page: Page) -> None:
    page.goto(f"{demo_server.url}/positions/{SKU}/{LOCATION}")
    chart = page.locator("#forecast-chart")
    expect(chart).to_have_attribute("data-drawn", "1")
    expect(page.locator("#atp-chart")).to_have_attribute("data-drawn", "1")
    expect(chart.locator("canvas")).to_have_count(1)
    labels = chart.locator(".u-legend .u-series .u-label")
    expect(labels).to_have_text(SERIES)
    assert "--" not in labels.all_inner_texts()
    expect(page.locator("#forecast-method")).to_have_attribute("data-method", "AutoETS")

    projection = ok(demo_server.client.get(f"/v1/projection/{SKU}", params={"location": LOCATION}))
    data = page.evaluate("window.earmarkForecastCharts[0].data")
    assert len(data[0]) == len(projection["days"]) == 29  # today, then the 28 forecast days
    assert data[1][:3] == [None, 101.0, 102.0]  # the forecast starts tomorrow
    assert (data[2][1], data[3][1]) == (81.0, 121.0)
    assert data[4] == [d["projected_on_hand"] for d in projection["days"]]
    # Beside the ATP chart on a wide screen.
    atp, drawn = page.locator("#atp-chart").bounding_box(), chart.bounding_box()
    assert atp is not None and drawn is not None
    assert drawn["x"] > atp["x"] + atp["width"] - 1 and abs(drawn["y"] - atp["y"]) < 120
