"""The built dashboard works under its Content-Security-Policy: the pages and their Plotly
charts (curves, the compare overlay, the PNG export) run without a single violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_compare import seeded_experiment

pytestmark = pytest.mark.browser


def test_the_dashboard_and_its_charts_violate_no_policy(page: Page, idle_server: str) -> None:
    strong = seeded_experiment(idle_server, "csp-strong", 300, seeds=2)
    weak = seeded_experiment(idle_server, "csp-weak", 100, seeds=2)
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + "
        "e.blockedURI))"
    )

    response = page.goto(idle_server)
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.goto(f"{idle_server}/experiments/{strong}")
    expect(page.locator("[data-drawn]").first).to_have_attribute("data-drawn", re.compile("[1-9]"))
    page.goto(f"{idle_server}/compare?ids={strong},{weak}")
    chart = page.get_by_test_id("compare-chart")
    expect(chart).to_have_attribute("data-lines", "2")
    with page.expect_download() as download:
        page.get_by_test_id("export-png").click()
    assert download.value.suggested_filename.endswith(".png")
    page.goto(f"{idle_server}/launch")
    expect(page.get_by_role("heading").first).to_be_visible()
    assert violations == []
