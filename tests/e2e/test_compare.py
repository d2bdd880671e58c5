"""Comparing experiments in the browser: statistics table and a view restored from its URL.
The experiments' points are fed through the ingest endpoint, so nothing trains here."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shoot

pytestmark = pytest.mark.browser


def seeded_experiment(url: str, name: str, level: float, seeds: int) -> int:
    """An experiment whose seed s logs return_mean rising to ``level + s`` over 20 points."""
    spec = {"name": name, "env": {"id": "CartPole-v1"}, "algo": {"name": "PPO"},
            "runner": {"n_steps": 20_000}, "seeds": list(range(seeds))}
    created = httpx.post(f"{url}/api/v1/experiments", json={"spec": spec}, timeout=30).json()
    for run in created["runs"]:
        points = [{"key": "return_mean", "step": 1000 * (i + 1),
                   "value": (level + run["seed"]) * (i + 1) / 20, "wall_time": 0.5 * (i + 1)}
                  for i in range(20)]
        response = httpx.post(f"{url}/api/v1/runs/{run['id']}/metrics", json={"points": points})
        response.raise_for_status()
    return created["id"]


@pytest.fixture(scope="module")
def two_experiments(idle_server: str) -> tuple[int, int]:
    return (seeded_experiment(idle_server, "strong", 400, seeds=5),
            seeded_experiment(idle_server, "weak", 100, seeds=3))


def test_compare_two_experiments_and_read_the_statistics(
    page: Page, idle_server: str, two_experiments: tuple[int, int]
) -> None:
    strong, weak = two_experiments
    page.goto(idle_server)
    page.get_by_role("link", name="Compare").first.click()
    for experiment_id in (strong, weak):
        page.locator(f'[data-testid=compare-pick][data-experiment-id="{experiment_id}"]').check()
    chart = page.get_by_test_id("compare-chart")
    expect(chart).to_have_attribute("data-lines", "2")
    expect(chart).to_have_attribute("data-bands", "2")

    rows = page.get_by_test_id("stats-row")
    expect(rows).to_have_count(2)
    strong_row = page.locator(f'[data-testid=stats-row][data-experiment-id="{strong}"]')
    weak_row = page.locator(f'[data-testid=stats-row][data-experiment-id="{weak}"]')
    # final score = mean of the last 5 points: level + seed times (16..20)/20, mean 0.9
    expect(strong_row.get_by_test_id("stats-n")).to_have_text("5")
    expect(strong_row.get_by_test_id("stats-warning")).to_have_count(0)
    expect(strong_row.get_by_test_id("stats-iqm")).to_have_text("361.8")  # IQM of seeds 1..3
    expect(strong_row.get_by_test_id("stats-mean")).to_have_text(re.compile(r"^361\.8 ± 1\.27"))
    expect(weak_row.get_by_test_id("stats-n")).to_contain_text("3")
    expect(weak_row.get_by_test_id("stats-warning")).to_contain_text("5")
    expect(strong_row.get_by_test_id("stats-ci")).to_have_text(re.compile(r"^\[\d+(\.\d+)?, \d+(\.\d+)?\]$"))
    cell = page.locator(f'[data-testid=poi-cell][data-x="{strong}"][data-y="{weak}"]')
    expect(cell).to_have_text("1.00")
    expect(page.locator(f'[data-testid=poi-cell][data-x="{weak}"][data-y="{strong}"]')).to_have_text("0.00")
    expect(page.get_by_test_id("report-link")).to_have_attribute(
        "href", re.compile(rf"/api/v1/compare/report\?ids={strong},{weak}"))
    assert f"ids={strong},{weak}" in page.url
    shoot(page, "compare")


def test_a_compare_view_is_restored_from_its_url(
    page: Page, idle_server: str, two_experiments: tuple[int, int]
) -> None:
    strong, weak = two_experiments
    query = f"ids={weak},{strong}&agg=median&band=minmax&smooth=0.5&x=wall_time"
    page.goto(f"{idle_server}/compare?{query}")
    chart = page.get_by_test_id("compare-chart")
    expect(chart).to_have_attribute("data-ids", f"{weak},{strong}")
    expect(chart).to_have_attribute("data-agg", "median")
    expect(chart).to_have_attribute("data-band", "minmax")
    expect(chart).to_have_attribute("data-smooth", "0.5")
    expect(chart).to_have_attribute("data-lines", "2")
    expect(page.get_by_test_id("curve-agg")).to_have_value("median")
    expect(page.get_by_test_id("curve-band")).to_have_value("minmax")
    expect(page.get_by_test_id("curve-x")).to_have_value("wall_time")
    expect(page.get_by_test_id("curve-smooth")).to_have_value("0.5")
    expect(page.get_by_test_id("compare-chosen")).to_contain_text(re.compile(rf"#{weak} weak.*#{strong} strong"))
    expect(page.get_by_test_id("stats-row")).to_have_count(2)
    # changing the view rewrites the URL, so that link restores the new view
    page.get_by_test_id("curve-band").select_option("std")
    expect(chart).to_have_attribute("data-band", "std")
    assert page.url.endswith(f"?ids={weak},{strong}&agg=median&band=std&smooth=0.5&x=wall_time")
    shoot(page, "compare-restored")
