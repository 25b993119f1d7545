"""The suppliers pages in a real browser, on the demo data: nordic-wool's
slips (0, 2, 1, 0, 5, 3, 0, 9, 1, 2, 0, 4, 1, 6 days) drawn as a histogram."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from tests.e2e.conftest import Server


def test_a_suppliers_slips_are_drawn_as_a_histogram(demo_server: Server, page: Page) -> None:
    page.goto(f"{demo_server.url}/suppliers")
    row = page.locator('tr[data-supplier="nordic-wool"]')
    expect(row).to_contain_text("14")
    row.get_by_role("link", name="nordic-wool").click()
    chart = page.locator("#slip-chart")
    expect(chart).to_have_attribute("data-drawn", "1")
    expect(chart.locator("canvas")).to_have_count(1)
    # One bar a day from 0 to 9 days late; 4 receipts on time, none 7 or 8 days late.
    expect(chart).to_have_attribute("data-bars", "10")
    expect(page.locator('[data-figure="p90"]')).to_have_text("6")
