"""Security headers on the API, the dashboard and the docs; CORS closed unless configured;
no token in a real server's access log."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from backend.api.middleware import API_CSP, DASHBOARD_CSP, DOCS_CSP
from backend.db import create_db_engine, create_session_factory, upgrade_database
from backend.main import create_app
from backend.services import auth
from backend.settings import Settings
from tests.support import rlboard_env, running_server

COMMON = {"x-content-type-options": "nosniff", "x-frame-options": "DENY",
          "referrer-policy": "no-referrer"}


@pytest.fixture
def dashboard(settings: Settings, tmp_path: Path) -> TestClient:
    """The app serving a (stand-in) built dashboard."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "assets" / "index.js").write_text("console.log(1)")
    return TestClient(create_app(settings.model_copy(update={"frontend_dir": dist})))


def test_every_response_has_the_security_headers(dashboard: TestClient) -> None:
    for path, csp in (("/", DASHBOARD_CSP), ("/experiments/3", DASHBOARD_CSP),
                      ("/assets/index.js", DASHBOARD_CSP), ("/api/v1/experiments", API_CSP),
                      ("/api/v1/health", API_CSP), ("/api/v1/runs/9", API_CSP),
                      ("/openapi.json", API_CSP), ("/docs", DOCS_CSP)):
        response = dashboard.get(path)
        assert response.status_code in (200, 404), path
        assert {name: response.headers[name] for name in COMMON} == COMMON, path
        assert response.headers["content-security-policy"] == csp, path
    # A 422 and a 413 made before any route ran get them too.
    response = dashboard.post("/api/v1/experiments", json={})
    assert response.status_code == 422 and response.headers["x-frame-options"] == "DENY"


def test_the_dashboard_policy_runs_only_its_own_code() -> None:
    directives = dict(d.split(" ", 1) for d in DASHBOARD_CSP.split("; "))
    assert directives["script-src"] == "'self'"  # no inline script, no eval
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert directives["connect-src"] == "'self'"


def test_cors_is_closed_by_default_and_opens_to_the_configured_origins(
    client: TestClient, settings: Settings
) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    response = client.options("/api/v1/experiments", headers=preflight)
    assert "access-control-allow-origin" not in response.headers
    response = client.get("/api/v1/experiments", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers

    allowed = settings.model_copy(update={"cors_origins": ["https://lab.example"]})
    with TestClient(create_app(allowed)) as open_client:
        response = open_client.options(
            "/api/v1/experiments",
            headers={**preflight, "Origin": "https://lab.example",
                     "Access-Control-Request-Headers": "authorization"},
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://lab.example"
        response = open_client.options("/api/v1/experiments", headers=preflight)
        assert "access-control-allow-origin" not in response.headers


def test_a_real_servers_access_log_shows_no_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    url = Settings(data_dir=data).effective_database_url  # the server's own database
    upgrade_database(url)
    engine = create_db_engine(url)
    with create_session_factory(engine)() as session:
        _, secret = auth.create_token(session, "dashboard", "read")
    engine.dispose()
    log = tmp_path / "serve.log"
    env = rlboard_env(data, auth="on")
    with running_server(env, worker=False, log_path=log) as server:
        events = httpx.get(f"{server}/api/v1/events",
                           params={"experiment_id": 1, "access_token": secret}, timeout=10)
        assert events.status_code == 404  # authenticated, then no such experiment
        listed = httpx.get(f"{server}/api/v1/experiments",
                           headers={"Authorization": f"Bearer {secret}"}, timeout=10)
        assert listed.status_code == 200
    text = log.read_text()
    assert "access_token=***" in text  # the access log is on, and redacted
    assert secret not in text
