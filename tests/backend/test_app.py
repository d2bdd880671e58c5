"""The app around the API: the dashboard's files, settings, and the torch-free import rule."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.main import create_app
from backend.settings import Settings


def app_for(tmp_path: Path, frontend_dir: Path) -> TestClient:
    # No request here touches the database, so it needs no migrations.
    settings = Settings(data_dir=tmp_path / "data", frontend_dir=frontend_dir)
    return TestClient(create_app(settings))


def test_the_dashboard_is_served_with_a_single_page_fallback(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>dashboard</html>")
    (dist / "assets" / "app.js").write_text("console.log('rlboard')")
    client = app_for(tmp_path, dist)

    assert client.get("/").text == "<html>dashboard</html>"
    assert client.get("/assets/app.js").text == "console.log('rlboard')"
    # Client-side routes are the dashboard's, not 404s.
    assert client.get("/experiments/12").text == "<html>dashboard</html>"
    # Unknown API paths stay JSON 404s.
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_without_a_built_dashboard_the_root_says_how_to_build_it(tmp_path: Path) -> None:
    response = app_for(tmp_path, tmp_path / "missing").get("/")
    assert response.status_code == 200
    assert "make frontend" in response.text


def test_the_default_database_is_a_sqlite_file_under_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("RLBOARD_DATABASE_URL", raising=False)
    monkeypatch.setenv("RLBOARD_DATA_DIR", str(tmp_path))
    assert Settings().effective_database_url == f"sqlite:///{tmp_path}/rlboard.db"
    monkeypatch.setenv("RLBOARD_DATABASE_URL", "postgresql+psycopg://db/rlboard")
    assert Settings().effective_database_url == "postgresql+psycopg://db/rlboard"


def test_the_backend_imports_neither_torch_nor_the_engine_beyond_its_spec(tmp_path: Path) -> None:
    # A fresh interpreter: this test process may have loaded torch for the engine's tests.
    script = (
        "import sys\n"
        "from backend.main import create_app\n"
        "from backend.settings import Settings\n"
        "from backend.services.catalog import build_catalog\n"
        f"create_app(Settings(data_dir={str(tmp_path)!r})); build_catalog()\n"
        "print(sorted(m for m in sys.modules if m.partition('.')[0] in ('torch', 'engine')))\n"
    )
    # engine.spec is a package of torch-free modules; nothing else of the engine may load,
    # except what validating the presets' `module:Name` env ids imports (engine.envs' POMDP
    # wrappers, torch-free as well).
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = ast.literal_eval(result.stdout.strip())
    assert "engine.spec" in loaded
    allowed = ("engine.spec", "engine.envs", "engine.utils.collections")
    assert [m for m in loaded if m not in ("engine", "engine.utils") and not m.startswith(allowed)] == []
