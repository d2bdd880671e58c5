"""The walking skeleton as a researcher meets it: `rlboard serve` with its embedded defaults,
driven through Debian's chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support import rlboard_env, running_server

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_launch_ppo_from_the_form_and_watch_three_seeds_finish(browser: Browser, tmp_path: Path) -> None:
    env = rlboard_env(tmp_path / "data")  # embedded SQLite and filesystem broker, local worker
    with running_server(env, worker=True, log_path=tmp_path / "serve.log") as url:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url)
        page.get_by_role("link", name="New experiment").first.click()
        page.get_by_test_id("env-id").fill("CartPole-v1")
        page.get_by_test_id("algo").select_option("PPO")
        page.get_by_test_id("n-steps").fill("30000")
        page.get_by_test_id("n-seeds").fill("3")
        shoot(page, "launch")
        page.get_by_test_id("launch-submit").click()

        page.wait_for_url("**/experiments/*")
        chart = page.get_by_test_id("curve-chart")
        rows = page.get_by_test_id("run-row")
        expect(rows).to_have_count(3)

        # Curves must show up while training is still going on, not only at the end.
        expect(chart).to_have_attribute("data-band", "1", timeout=120_000)
        still_running = page.locator('[data-testid="run-row"][data-status="running"], '
                                     '[data-testid="run-row"][data-status="queued"]')
        assert still_running.count() > 0, "the band appeared only after every run had finished"
        shoot(page, "experiment-running")

        expect(chart).to_have_attribute("data-seed-lines", "3", timeout=240_000)
        for i in range(3):
            expect(rows.nth(i)).to_have_attribute("data-status", "succeeded", timeout=240_000)
        shoot(page, "experiment-finished")

        page.get_by_role("link", name="Experiments").first.click()
        expect(page.get_by_test_id("experiment-row")).to_have_count(1)
        shoot(page, "experiments")


def test_a_bad_environment_id_is_shown_at_its_field(browser: Browser, tmp_path: Path) -> None:
    env = rlboard_env(tmp_path / "data")
    with running_server(env, worker=False, log_path=tmp_path / "serve.log") as url:
        page = browser.new_page()
        page.goto(f"{url}/launch")
        page.get_by_test_id("env-id").fill("CartPol-v1")
        page.get_by_test_id("launch-submit").click()
        expect(page.get_by_test_id("error-env-id")).to_contain_text("CartPol-v1")
        assert page.url.endswith("/launch")
