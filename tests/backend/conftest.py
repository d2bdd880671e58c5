"""Backend fixtures: every test that takes ``client`` or ``session`` runs on SQLite and on
PostgreSQL, against a freshly migrated database and the embedded broker under a tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.db import upgrade_database
from backend.main import create_app
from backend.settings import Settings


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rlboard.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for a migrated ``database_url``; the embedded broker writes under tmp_path."""
    upgrade_database(database_url)
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        frontend_dir=tmp_path / "no-dashboard",
        # Tests that want the reaper loop ask for it; the others call mark_lost_runs themselves.
        reaper_interval_s=3600,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def session(client: TestClient) -> Iterator[Session]:
    """A session on the app's own database."""
    with client.app.state.session_factory() as session:
        yield session
