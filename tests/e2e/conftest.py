from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support import rlboard_env, running_server

CHROMIUM = "/usr/bin/chromium"
# Without the networking flags chromium keeps dialling Google's hosts, which this machine refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
# Parsing Plotly's 4.8 MB bundle alone takes seconds on a busy 2-core machine.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def browser(service_missing) -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        service_missing("chromium", f"{CHROMIUM} not found (make test installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page at a laptop's size."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``rlboard serve`` with its embedded defaults and local worker: runs really train."""
    tmp = tmp_path_factory.mktemp("live")
    with running_server(rlboard_env(tmp / "data"), worker=True, log_path=tmp / "serve.log") as url:
        yield url


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``rlboard serve`` without a worker: runs stay queued, metrics come from the test."""
    tmp = tmp_path_factory.mktemp("idle")
    with running_server(rlboard_env(tmp / "data"), worker=False, log_path=tmp / "serve.log") as url:
        yield url


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
