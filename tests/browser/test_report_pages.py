"""The Capital and Service pages in Chromium, on the demo data: they show
the figures of ``/v1/reports``, and their charts draw with a title, labelled
axes and a legend naming every series. ``make screenshots`` saves both
pages to docs/screenshots/ (capital.png, service.png; the README shows them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page
from tests.e2e.conftest import Server

SCREENSHOTS = os.environ.get("EARMARK_SCREENSHOTS")


def _screenshot(page: Page, name: str, tmp_path: Path) -> None:
    directory = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(directory / name), full_page=True)
    assert (directory / name).stat().st_size > 10_000


def _api(server: Server, path: str, **params: str) -> Any:
    response = httpx.get(server.url + path, params=params, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _chart(page: Page, chart_id: str) -> dict[str, str]:
    chart = page.locator(f"#{chart_id}")
    page.wait_for_selector(f"#{chart_id}[data-drawn='1']")
    title = chart.locator(".u-title").inner_text()
    legend = [label.inner_text() for label in chart.locator(".u-legend .u-series .u-label").all()]
    # uPlot draws axis labels on the canvas; the page says which it drew.
    return {"title": title, "legend": "|".join(legend), "axes": chart.get_attribute("data-axes") or "",
            "series": chart.get_attribute("data-series") or ""}


def test_the_capital_page_shows_the_reports_figures(demo_server: Server, page: Page) -> None:
    report = _api(demo_server, "/v1/reports/capital")
    page.goto(demo_server.url + "/capital")
    for name in ("on_hand", "held", "committed_held", "free", "safety_stock", "excess",
                 "incoming", "committed_incoming", "backordered_revenue"):
        assert page.locator(f"#capital-figures [data-field='{name}']").inner_text() == report[name]
    for week in report["by_week"]:
        assert page.locator(f"#capital-weeks tr[data-week='{week['week']}'] td.num").inner_text() \
            == week["value"]
    yard = sum(float(r["on_hand"]) for r in report["by_sku"] if r["location"] == "YARD")
    shown = page.locator("#capital-locations tr[data-location='YARD'] [data-field='on_hand']")
    assert float(shown.inner_text()) == pytest.approx(yard)


def test_the_capital_charts_name_every_series_and_axis_screenshots(
        demo_server: Server, page: Page, tmp_path: Path) -> None:
    page.goto(demo_server.url + "/capital")
    stacked = _chart(page, "capital-chart")
    assert stacked["title"] == "Capital on hand per location (USD)"
    assert set(stacked["legend"].split("|")) >= {"Held for orders", "Committed", "Free within need",
                                                  "Excess"}
    assert stacked["axes"] == "Location|USD"
    weeks = _chart(page, "weeks-chart")
    assert weeks["title"] == "Backordered revenue by week promised (USD)"
    assert "Backordered revenue" in weeks["legend"]
    assert weeks["axes"] == "Week of (Monday)|USD"
    _screenshot(page, "capital.png", tmp_path)


def test_the_service_page_shows_the_reports_figures(demo_server: Server, page: Page) -> None:
    report = _api(demo_server, "/v1/reports/service")
    page.goto(demo_server.url + "/service")
    for name in ("fill_rate", "on_time_rate", "promise_error_days_mean", "promise_error_days_p90",
                 "quoted_wait_days_mean", "promise_changes"):
        shown = page.locator(f"#service-figures [data-field='{name}']").get_attribute("data-value")
        assert shown is not None
        assert float(shown) == pytest.approx(report[name]), name
    assert report["fill_rate"] is not None and report["on_time_rate"] is not None  # the demo's history


def test_the_service_window_is_chosen_on_the_page(demo_server: Server, page: Page) -> None:
    report = _api(demo_server, "/v1/reports/service", **{"from": "2025-12-15", "to": "2025-12-21"})
    page.goto(demo_server.url + "/service")
    page.fill("input[name='from']", "2025-12-15")
    page.fill("input[name='to']", "2025-12-21")
    page.click("form[aria-label='Choose the window'] button[type='submit']")
    page.wait_for_url("**/service?**")
    shown = page.locator("#service-figures [data-field='fill_rate']").get_attribute("data-value")
    assert float(shown or "nan") == pytest.approx(report["fill_rate"])
    rates = _chart(page, "rates-chart")
    assert rates["legend"] == "Week of (Monday)|Fill rate|On-time rate"
    assert page.locator("#rates-chart").get_attribute("data-points") == str(len(report["by_week"]))


def test_the_service_charts_and_the_worst_skus_link_to_positions_screenshots(
        demo_server: Server, page: Page, tmp_path: Path) -> None:
    capital = _api(demo_server, "/v1/reports/capital")
    page.goto(demo_server.url + "/service")
    rates = _chart(page, "rates-chart")
    assert rates["title"] == "Fill rate and on-time rate per week (%)"
    assert rates["axes"] == "Week of (Monday)|% of units"
    aging = _chart(page, "aging-chart")
    assert aging["title"] == "Backorders waiting, by days since ordered"
    assert aging["axes"] == "Days since ordered|Units waiting"
    assert "Units waiting" in aging["legend"]
    worst = max((r for r in capital["by_sku"] if r["backordered_revenue"] is not None),
                key=lambda r: float(r["backordered_revenue"]))
    first = page.locator("#worst-skus tbody tr").first
    assert first.get_attribute("data-sku") == worst["sku"]
    assert first.locator("[data-field='backordered_revenue']").inner_text() == worst["backordered_revenue"]
    _screenshot(page, "service.png", tmp_path)
    first.locator("a").click()
    page.wait_for_url(f"**/positions/{worst['sku']}/{worst['location']}")
