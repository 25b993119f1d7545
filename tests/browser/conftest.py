"""Browser fixtures: the real server on the demo data, driven by Playwright
through Debian's Chromium (never a downloaded browser).

Outside CI the tests skip when ``/usr/bin/chromium`` is missing (``apt-get
install chromium``); with ``CI=true`` that is a failure, as .ci/run installs it.
All of them run on one xdist worker and share one server and one browser.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.conftest import Server, _fail_on_logged_errors, launch

from earmark.demo.data import DEMO_TODAY, load
from earmark.service.clock import Clock
from earmark.service.uow import Store

CHROMIUM = Path(os.environ.get("EARMARK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 10_000

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None  # type: ignore[assignment]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.xdist_group("browser"))


def need_chromium() -> None:
    missing = None
    if sync_playwright is None:
        missing = "the playwright package is not installed (pip install -e '.[dev]')"
    elif not CHROMIUM.exists():
        missing = f"{CHROMIUM} is missing (apt-get install chromium)"
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {missing}")
    pytest.skip(f"browser tests skipped: {missing}")


def demo_database(directory: Path) -> str:
    """A fresh SQLite file loaded with the demo data, as ``earmark demo`` makes it."""
    url = f"sqlite:///{directory}/demo.db"
    store = Store(url, Clock(frozen=DEMO_TODAY))
    store.upgrade()
    load(store)
    store.dispose()
    return url


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data, loaded once: each server on it gets a copy of this file."""
    need_chromium()
    url = demo_database(tmp_path_factory.mktemp("demo-template"))
    return Path(url.removeprefix("sqlite:///"))


def demo_copy(template: Path, directory: Path) -> str:
    """A fresh copy of the demo database in ``directory``, its URL."""
    shutil.copyfile(template, directory / "demo.db")
    return f"sqlite:///{directory}/demo.db"


@pytest.fixture(scope="session")
def demo_database_url(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> str:
    """The demo server's database, for a test that writes what no endpoint
    writes (a stored forecast, as a forecasting run would)."""
    return demo_copy(demo_template, tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="session")
def demo_server(demo_database_url: str) -> Iterator[Server]:
    directory = Path(demo_database_url.removeprefix("sqlite:///"))
    running = launch(demo_database_url, directory.parent,
                     env={"EARMARK_TODAY": DEMO_TODAY.isoformat()})
    try:
        yield running
    finally:
        running.stop()
        _fail_on_logged_errors(running)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One browser for this package's tests (they run one after another, as
    one xdist group), closed after the last of them: while Playwright's sync
    API is open its event loop runs on this thread, and other tests on the
    same worker call ``asyncio.run``."""
    need_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page at 1280 px; any script error on it fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"script errors on the page: {errors}"
