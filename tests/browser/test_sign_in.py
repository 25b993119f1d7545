"""With EARMARK_API_KEYS set, the UI asks for a key and keeps it in an
HttpOnly cookie; the API still answers 401 to a request without a key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.browser.conftest import demo_copy
from tests.e2e.conftest import Server, _fail_on_logged_errors, launch, problem

from earmark.demo.data import DEMO_TODAY


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory,
                 demo_template: Path) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("browser-keys")
    running = launch(demo_copy(demo_template, directory), directory,
                     env={"EARMARK_TODAY": DEMO_TODAY.isoformat(), "EARMARK_API_KEYS": "alpha"})
    try:
        yield running
    finally:
        running.stop()
        _fail_on_logged_errors(running)


def test_a_page_without_a_key_sends_the_browser_to_sign_in_but_the_api_still_answers_401(
        keyed_server: Server) -> None:
    with httpx.Client(base_url=keyed_server.url) as anonymous:
        page = anonymous.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"] == "/login"
        problem(anonymous.get("/v1/items", headers={"Accept": "text/html"}), 401, "unauthorized")
        problem(anonymous.get("/"), 401, "unauthorized")
        assert anonymous.get("/login").status_code == 200
        assert anonymous.post("/login", data={"key": "beta"}).status_code == 401


def test_signing_in_keeps_the_key_in_an_http_only_cookie(keyed_server: Server, page: Page,
                                                         tmp_path: Path) -> None:
    page.goto(keyed_server.url + "/")
    expect(page.locator("h1")).to_have_text("Sign in")
    page.fill("#key", "wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".error")).to_contain_text("not a valid API key")
    page.fill("#key", "alpha")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Overview")
    cookie = next(c for c in page.context.cookies() if c["name"] == "earmark_key")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""
    page.goto(keyed_server.url + "/events")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("Sign in")


def test_signed_in_the_forms_post_their_csrf_token_and_the_scripts_run_under_the_csp(
        keyed_server: Server, page: Page) -> None:
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(keyed_server.url + "/login")
    page.fill("#key", "alpha")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Overview")
    page.goto(keyed_server.url + "/act")
    form = page.locator("form[action='/act/order']")
    form.locator("input[name=id]").fill("UI-KEYED-1")
    form.locator("input[name=sku]").fill("SCARF-MERINO")
    form.locator("input[name=quantity]").fill("2")
    form.get_by_role("button", name="Place order").click()
    expect(page.locator(".done")).to_contain_text("Order UI-KEYED-1 placed: 2 allocated")
    # The event page names who acted: the environment's first key.
    page.goto(keyed_server.url + "/events?type=order.allocated")
    expect(page.locator("#feed li.event").first).to_contain_text("UI-KEYED-1")
    expect(page.locator("#feed li.event .event-actor").first).to_have_text("by env-1")
    # htmx (a form swapped in place, with the token in a header) and uPlot run.
    page.goto(keyed_server.url + "/positions/COAT-ASTRID-S/WEB")
    expect(page.locator("#atp-chart")).to_have_attribute("data-drawn", "1")
    receipt = page.locator("#receipt-PO-COAT-0112-S")
    receipt.locator("input[name=expected_date]").fill("2026-02-02")
    receipt.get_by_role("button", name="Move").click()
    expect(page.locator("#moved")).to_contain_text("2026-02-02")
    assert page.url.endswith("/positions/COAT-ASTRID-S/WEB")
    assert blocked == []
