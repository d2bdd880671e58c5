"""The experiment page as a researcher meets it: `rlboard serve` with its embedded defaults
(SQLite, filesystem broker, a local worker), driven through Debian's chromium."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shoot

pytestmark = pytest.mark.browser


def test_launch_from_a_preset_and_watch_the_runs_finish_live(page: Page, live_server: str) -> None:
    page.goto(live_server)
    page.get_by_role("link", name="New experiment").first.click()
    page.get_by_test_id("preset").select_option("cartpole_ppo")
    # the preset fills the generated form: its algorithm, params and sections
    expect(page.get_by_test_id("algo")).to_have_value("PPO")
    expect(page.get_by_test_id("param-learning_rate")).to_have_value("0.002")
    expect(page.get_by_test_id("model-hidden_sizes")).to_have_value("64, 64")
    expect(page.get_by_test_id("device")).to_have_value("cpu")
    # a small run: few steps, two seeds, a row of metrics every 1000 steps
    page.get_by_test_id("n-steps").fill("3000")
    page.get_by_test_id("n-seeds").fill("2")
    page.locator("[data-testid=section-runner] summary").click()
    page.get_by_test_id("runner-log_interval_steps").fill("1000")
    page.get_by_test_id("tags").fill("e2e")
    page.get_by_test_id("yaml-view").locator("summary").click()
    expect(page.get_by_test_id("yaml-text")).to_have_value(
        re.compile(r"learning_rate: 0\.002[\s\S]*n_steps: 3000[\s\S]*seeds: \[0, 1\]"))
    expect(page.get_by_test_id("run-count")).to_have_text("1 variant × 2 seeds = 2 runs")
    shoot(page, "launch")
    page.get_by_test_id("launch-submit").click()

    page.wait_for_url("**/experiments/*")
    chart = page.get_by_test_id("curve-chart")
    rows = page.get_by_test_id("run-row")
    expect(rows).to_have_count(2)
    # live over server-sent events while anything runs
    expect(page.get_by_test_id("live-mode")).to_have_attribute("data-mode", "sse", timeout=30_000)
    expect(page.get_by_test_id("curve-key")).to_have_value("return_mean")
    expect(chart).to_have_attribute("data-band", "1", timeout=120_000)
    shoot(page, "experiment-running")

    expect(chart).to_have_attribute("data-seed-lines", "2", timeout=120_000)
    for i in range(2):
        expect(rows.nth(i)).to_have_attribute("data-status", "succeeded", timeout=120_000)
    expect(page.get_by_test_id("live-mode")).to_have_attribute("data-mode", "done")
    expect(rows.first.get_by_test_id("run-final")).not_to_have_text("—")
    # the device of each run comes with the experiment's detail
    expect(rows.first.get_by_test_id("run-device")).to_have_text("cpu")
    # another aggregate redraws in place, and the URL keeps the view
    page.get_by_test_id("curve-agg").select_option("iqm")
    expect(chart).to_have_attribute("data-agg", "iqm")
    assert "agg=iqm" in page.url
    shoot(page, "experiment-finished")

    page.get_by_role("link", name="Experiments").first.click()
    expect(page.get_by_test_id("experiment-row")).to_have_count(1)
    shoot(page, "experiments")


def test_cancel_a_running_run(page: Page, live_server: str) -> None:
    spec = {"name": "long", "env": {"id": "CartPole-v1"}, "algo": {"name": "PPO"},
            "runner": {"n_steps": 10_000_000, "log_interval_steps": 2000}, "seeds": [0]}
    created = httpx.post(f"{live_server}/api/v1/experiments", json={"spec": spec}, timeout=30)
    created.raise_for_status()
    page.goto(f"{live_server}/experiments/{created.json()['id']}")
    row = page.get_by_test_id("run-row")
    expect(row).to_have_attribute("data-status", "running", timeout=60_000)
    row.get_by_test_id("run-cancel").click()
    expect(row).to_have_attribute("data-status", "cancelled", timeout=30_000)
    # a cancelled run offers retry and resume instead
    expect(row.get_by_test_id("run-resume")).to_be_visible()
    expect(row.get_by_test_id("run-cancel")).to_have_count(0)
    shoot(page, "experiment-cancelled")


def test_a_bad_environment_id_is_shown_at_its_field(page: Page, idle_server: str) -> None:
    page.goto(f"{idle_server}/launch")
    page.get_by_test_id("env-id").fill("CartPol-v1")
    page.get_by_test_id("launch-submit").click()
    expect(page.get_by_test_id("error-env-id")).to_contain_text("CartPol-v1")
    assert page.url.endswith("/launch")


def test_a_bad_model_option_is_shown_at_its_field(page: Page, idle_server: str) -> None:
    page.goto(f"{idle_server}/launch")
    page.locator("[data-testid=section-model] summary").click()
    page.get_by_test_id("model-hidden_sizes").fill("64, 0")
    page.get_by_test_id("launch-submit").click()
    expect(page.get_by_test_id("error-model-hidden_sizes")).to_contain_text("greater than or equal to 1")
