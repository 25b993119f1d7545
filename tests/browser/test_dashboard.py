"""The dashboard in a real browser, on the demo data: every page loads, the
figures equal the API's, the ATP chart is drawn, a moved receipt moves the
queue's promises, and new events appear in the live feed."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.conftest import Server, ok

PHONE = {"width": 390, "height": 844}


def _availability(server: Server, sku: str, location: str) -> dict[str, Any]:
    figures: dict[str, Any] = ok(server.client.get(f"/v1/availability/{sku}",
                                                   params={"location": location}))
    return figures


def _number(text: str) -> int:
    return int(text.replace(",", "").strip())


@pytest.mark.parametrize("path, heading", [
    ("/", "Overview"),
    ("/positions/BEAM-W12/YARD", "BEAM-W12 at YARD"),
    ("/orders/SO-STEEL-7801", "Order SO-STEEL-7801"),
    ("/commitments", "Commitments"),
    ("/events", "Events"),
    ("/act", "Place & plan"),
    ("/network", "Network"),
])
def test_every_page_loads_with_its_heading(demo_server: Server, page: Page, path: str,
                                           heading: str) -> None:
    response = page.goto(demo_server.url + path)
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.locator("nav[aria-label=Main] a").first).to_be_visible()


def test_the_overview_shows_the_apis_figures_for_every_position(demo_server: Server,
                                                                page: Page) -> None:
    page.goto(demo_server.url + "/")
    rows = page.locator("#positions tbody tr")
    # 15 positions of their own, and three shops fed by transfers from the produce hub.
    expect(rows).to_have_count(18)
    for row in rows.all():
        sku, location = row.get_attribute("data-sku"), row.get_attribute("data-location")
        assert sku and location
        api = _availability(demo_server, sku, location)
        for field in ("on_hand", "allocated", "committed", "backordered", "incoming", "available_now"):
            shown = row.locator(f"[data-field={field}]").inner_text()
            assert _number(shown) == api[field], (sku, location, field)


def test_the_overview_filters_by_account(demo_server: Server, page: Page) -> None:
    page.goto(demo_server.url + "/")
    page.select_option("select[name=account]", "bigdev")
    page.get_by_role("button", name="Filter").first.click()
    expect(page).to_have_url(re.compile(r"account=bigdev"))
    skus = {row.get_attribute("data-sku") for row in page.locator("#positions tbody tr").all()}
    assert skus == {"BEAM-W12", "PLATE-S355-20"}


def test_the_atp_chart_draws_one_point_per_dated_bucket_and_a_mark_per_promised_date(
        demo_server: Server, page: Page) -> None:
    page.goto(demo_server.url + "/positions/COAT-ASTRID-M/WEB")
    chart = page.locator("#atp-chart")
    expect(chart).to_have_attribute("data-drawn", "1")
    atp = _availability(demo_server, "COAT-ASTRID-M", "WEB")["atp"]
    queue = ok(demo_server.client.get("/v1/backorders",
                                      params={"sku": "COAT-ASTRID-M", "location": "WEB"}))["items"]
    assert chart.get_attribute("data-points") == str(len(atp))
    assert chart.get_attribute("data-promised") == str(len({b["promised_date"] for b in queue}))
    # uPlot holds the same series the API gives: dates, supply, pegged.
    data = page.evaluate("window.earmarkCharts[0].data")
    assert len(data[0]) == len(atp)
    assert data[1] == [bucket["supply"] for bucket in atp]
    assert data[2] == [bucket["supply"] - bucket["available"] for bucket in atp]
    expect(chart.locator("canvas")).to_have_count(1)


def test_moving_a_receipt_redraws_the_chart_and_moves_the_queues_promised_dates(
        demo_server: Server, page: Page) -> None:
    page.goto(demo_server.url + "/positions/COAT-ASTRID-S/WEB")
    queue_dates = page.locator("#queue td.promised")
    expect(queue_dates.first).to_contain_text("2026-01-19")
    receipt = page.locator("#receipt-PO-COAT-0112-S")
    receipt.locator("input[name=expected_date]").fill("2026-02-02")
    receipt.get_by_role("button", name="Move").click()
    expect(page.locator("#moved")).to_contain_text("WEB-10235 line 1: 2026-01-19 → 2026-02-02")
    expect(queue_dates.first).to_contain_text("2026-02-02")
    expect(page.locator("#atp-chart")).to_have_attribute("data-drawn", "1")
    # htmx swapped the part in place; the page did not reload.
    assert page.url.endswith("/positions/COAT-ASTRID-S/WEB")
    promised = ok(demo_server.client.get("/v1/orders/WEB-10235"))["lines"][0]["promised_date"]
    assert promised == "2026-02-02"
    dates = page.evaluate("window.earmarkCharts[window.earmarkCharts.length - 1].data[0]")
    atp = _availability(demo_server, "COAT-ASTRID-S", "WEB")["atp"]
    assert len(dates) == len(atp)


def test_a_new_event_appears_live_in_the_feed(demo_server: Server, page: Page) -> None:
    page.goto(demo_server.url + "/events?type=stock.adjusted")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    before = page.locator("#feed li.event").count()
    ok(demo_server.client.post("/v1/adjustments", json={
        "sku": "BOOT-CHELSEA-42", "location": "WEB", "quantity": 2, "reason": "count",
        "note": "found in the back"}), 201)
    newest = page.locator("#feed li.event").first
    expect(newest).to_contain_text("found in the back")
    expect(newest).to_have_attribute("data-type", "stock.adjusted")
    expect(page.locator("#feed li.event")).to_have_count(before + 1)


def test_the_forms_place_an_order_that_the_api_then_shows(demo_server: Server, page: Page) -> None:
    page.goto(demo_server.url + "/act")
    form = page.locator("form[action='/act/order']")
    form.locator("input[name=id]").fill("UI-TEST-1")
    form.locator("input[name=sku]").fill("SCARF-MERINO")
    form.locator("input[name=quantity]").fill("3")
    form.get_by_role("button", name="Place order").click()
    expect(page.locator(".done")).to_contain_text("Order UI-TEST-1 placed: 3 allocated")
    assert ok(demo_server.client.get("/v1/orders/UI-TEST-1"))["lines"][0]["allocated"] == 3
    page.goto(demo_server.url + "/orders/UI-TEST-1")
    expect(page.locator(".timeline .milestone.confirmed")).to_have_count(1)
    expect(page.locator("#history-title + ol li.event").first).to_contain_text("order.allocated")


def test_a_refused_form_shows_the_apis_reason(demo_server: Server, page: Page) -> None:
    page.goto(demo_server.url + "/act")
    form = page.locator("form[action='/act/commitment']")
    form.locator("input[name=sku]").fill("NO-SUCH-SKU")
    form.get_by_role("button", name="Create commitment").click()
    expect(page.locator(".error")).to_contain_text("NO-SUCH-SKU")


def test_the_position_page_reads_on_a_phone(demo_server: Server, page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.goto(demo_server.url + "/positions/BEAM-W12/YARD")
    expect(page.locator("#atp-chart canvas")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, "the page scrolls sideways on a phone"


def test_the_pages_can_be_used_from_the_keyboard(demo_server: Server, page: Page) -> None:
    page.goto(demo_server.url + "/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('#positions') !== null"):
            break
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text(" at ")


SCREENSHOTS = os.environ.get("EARMARK_SCREENSHOTS")


def test_screenshots_of_the_overview_and_a_position(demo_server: Server, page: Page,
                                                    tmp_path: Path) -> None:
    """``make screenshots`` runs this with EARMARK_SCREENSHOTS=docs/screenshots."""
    directory = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    page.goto(demo_server.url + "/")
    page.screenshot(path=str(directory / "overview.png"), full_page=True)
    page.goto(demo_server.url + "/positions/BEAM-W12/YARD")
    expect(page.locator("#atp-chart")).to_have_attribute("data-drawn", "1")
    page.screenshot(path=str(directory / "position.png"), full_page=True)
    assert (directory / "position.png").stat().st_size > 10_000
