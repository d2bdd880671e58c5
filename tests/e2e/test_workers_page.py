"""The workers page, and a run's log tail and evaluations on the experiment page, against
`rlboard serve` with its local worker, driven through Debian's chromium."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shoot

pytestmark = pytest.mark.browser


def _finished_experiment(url: str) -> int:
    """A small CartPole PPO experiment of one seed, trained to the end; its id."""
    spec = {"name": "small", "env": {"id": "CartPole-v1"}, "algo": {"name": "PPO"},
            "runner": {"n_steps": 2000, "log_interval_steps": 1000}, "seeds": [0]}
    created = httpx.post(f"{url}/api/v1/experiments", json={"spec": spec}, timeout=30)
    created.raise_for_status()
    exp_id = created.json()["id"]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        runs = httpx.get(f"{url}/api/v1/experiments/{exp_id}", timeout=30).json()["runs"]
        if all(r["status"] in {"succeeded", "failed", "cancelled"} for r in runs):
            assert [r["status"] for r in runs] == ["succeeded"]
            return exp_id
        time.sleep(1)
    raise AssertionError(f"experiment {exp_id} did not finish in time")


def test_the_local_worker_is_listed_alive(page: Page, live_server: str) -> None:
    page.goto(live_server)
    page.get_by_test_id("nav-workers").click()
    page.wait_for_url("**/workers")
    rows = page.get_by_test_id("worker-row")
    expect(rows.first).to_be_visible()
    alive = page.locator("[data-testid=worker-row][data-alive=true]")
    expect(alive).to_have_count(1)
    expect(alive.locator("[data-status=alive]")).to_be_visible()
    expect(alive).to_contain_text("cpu")  # the local worker's queue
    expect(page.get_by_test_id("workers-alive")).to_have_text(re.compile(r"^1 of \d+ alive$"))
    shoot(page, "workers")

    # a run it executes shows up as a link to its experiment
    spec = {"name": "long", "env": {"id": "CartPole-v1"}, "algo": {"name": "PPO"},
            "runner": {"n_steps": 10_000_000, "log_interval_steps": 2000}, "seeds": [0]}
    created = httpx.post(f"{live_server}/api/v1/experiments", json={"spec": spec}, timeout=30)
    created.raise_for_status()
    exp_id = created.json()["id"]
    try:
        link = alive.get_by_test_id("worker-runs").get_by_role("link")
        expect(link).to_have_attribute("href", f"/experiments/{exp_id}", timeout=60_000)
        link.click()
        page.wait_for_url(f"**/experiments/{exp_id}")
    finally:
        httpx.post(f"{live_server}/api/v1/experiments/{exp_id}/cancel", timeout=30)


def test_log_tail_and_evaluation_of_a_finished_run(page: Page, live_server: str) -> None:
    exp_id = _finished_experiment(live_server)
    page.goto(f"{live_server}/experiments/{exp_id}")
    row = page.get_by_test_id("run-row")
    expect(row).to_have_attribute("data-status", "succeeded")

    row.get_by_test_id("run-toggle-log").click()
    log = page.get_by_test_id("run-log-text")
    expect(log).to_be_visible()
    expect(log).not_to_have_text("")
    expect(page.get_by_test_id("run-log")).not_to_contain_text("following")
    shoot(page, "run-log")

    row.get_by_test_id("run-toggle-evals").click()
    panel = page.get_by_test_id("run-evals")
    expect(panel).to_contain_text("No evaluations yet.")
    page.get_by_test_id("eval-episodes").fill("2")
    page.get_by_test_id("eval-submit").click()
    evaluation = page.get_by_test_id("eval-row")
    expect(evaluation).to_have_count(1)
    expect(evaluation).to_have_attribute("data-status", "succeeded", timeout=120_000)
    expect(evaluation.get_by_test_id("eval-return")).to_have_text(re.compile(r"^\d"))
    expect(evaluation.get_by_test_id("eval-video-link")).to_have_attribute(
        "href", re.compile(r"/api/v1/runs/\d+/artifacts/eval-\d+\.(mp4|gif)$"))
    shoot(page, "run-evaluations")
