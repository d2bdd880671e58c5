"""GET /compare/report: one self-contained HTML file with the curves, table and matrix."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.backend.test_compare_api import experiment_with


def test_the_report_is_a_self_contained_html_attachment(client: TestClient) -> None:
    a, b = experiment_with(client, [1.0, 2.0, 3.0]), experiment_with(client, [4.0, 5.0])
    response = client.get("/api/v1/compare/report", params={"ids": f"{a},{b}", "last_k": 2})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-disposition"] == f"attachment; filename=rlboard-report-{a}-{b}.html"
    html = response.text
    assert html.startswith("<!doctype html>")
    assert '<table class="scores">' in html
    assert "<td>3</td><td>2 &plusmn; 0.8165</td><td>2</td>" in html  # experiment a: n, mean, std, IQM
    assert "Plotly.newPlot" in html and "plotly.js" in html  # the library itself is inlined
    assert '<script src="http' not in html  # nothing fetched from the network
    assert "Heatmap" in html or "heatmap" in html


def test_bad_report_requests(client: TestClient) -> None:
    a = experiment_with(client, [1.0])
    assert client.get("/api/v1/compare/report", params={"ids": f"{a}"}).status_code == 422
    assert client.get("/api/v1/compare/report", params={"ids": f"{a},{a}"}).status_code == 422
    assert client.get("/api/v1/compare/report", params={"ids": "1,x"}).status_code == 422
    assert client.get("/api/v1/compare/report", params={"ids": f"{a},999"}).status_code == 404
