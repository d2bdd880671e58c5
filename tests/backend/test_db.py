"""The storage layer under faults: SQLite's WAL and busy timeout, the PostgreSQL pool sized by
settings, an ingest whose connection the server kills (retried, stored once), 503 while the
database is unreachable, and the worker's metric forwarder against a real API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from backend.db import create_db_engine, create_session_factory, is_transient, upgrade_database
from backend.main import create_app
from backend.models import MetricPoint, MetricSeries
from backend.schemas import MetricPointIn
from backend.services import metrics
from backend.settings import Settings
from tests.backend.factories import create_experiment
from tests.conftest import POSTGRES_ADMIN_DSN
from tests.support import free_port, wait_for
from worker.metrics import MetricsForwarder


def points(steps: range) -> list[MetricPointIn]:
    return [MetricPointIn(key="loss", step=s, value=s / 10, wall_time=float(s)) for s in steps]


def new_run(client: TestClient) -> int:
    return create_experiment(client)["runs"][0]["id"]


def test_sqlite_uses_wal_and_waits_for_the_lock(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'a' / 'rlboard.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    engine.dispose()


def test_only_errors_worth_a_retry_are_transient(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'rlboard.db'}")
    with engine.connect() as connection, pytest.raises(OperationalError) as bad_sql:
        connection.execute(text("SELECT * FROM no_such_table"))
    assert not is_transient(bad_sql.value)  # SQLite says OperationalError for this too
    engine.dispose()
    unreachable = create_db_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x")
    with pytest.raises(OperationalError) as refused:
        unreachable.connect()
    assert is_transient(refused.value)


@pytest.mark.postgres
def test_the_postgresql_pool_is_sized_by_settings(postgres_url: str) -> None:
    settings = Settings(database_url=postgres_url, db_pool_size=3, db_max_overflow=4,
                        db_pool_timeout_s=5, db_pool_recycle_s=60)
    engine = create_db_engine(postgres_url, settings)
    assert (engine.pool.size(), engine.pool._max_overflow) == (3, 4)
    assert (engine.pool._timeout, engine.pool._recycle) == (5, 60)
    engine.dispose()


@pytest.mark.postgres
def test_an_ingest_whose_connection_is_killed_is_retried_and_stored_once(
    postgres_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    upgrade_database(postgres_url)
    settings = Settings(data_dir=tmp_path, database_url=postgres_url,
                        frontend_dir=tmp_path / "no-dashboard", reaper_interval_s=3600)
    with TestClient(create_app(settings)) as client:
        run_id = new_run(client)
    run_id = new_run(client)
    engine = create_db_engine(settings.effective_database_url, settings)
    with create_session_factory(engine)() as session:
        assert metrics.ingest(session, run_id, points(range(0, 100))) == 100
        # The session holds a connection in an open transaction; the server kills it, as a
        # restart would, before the next batch: that batch (half re-sent) must still land.
        session.execute(text("SELECT 1"))
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        assert metrics.ingest(session, run_id, points(range(50, 200))) == 100
        stored = session.execute(
            select(func.count()).select_from(MetricPoint).where(MetricPoint.run_id == run_id)
        ).scalar_one()
        count = session.execute(
            select(MetricSeries.count).where(MetricSeries.run_id == run_id)
        ).scalar_one()
    engine.dispose()
    assert stored == count == 200
    assert "transient database error" in caplog.text  # retried, not merely reconnected


def test_an_unreachable_database_answers_503_with_retry_after(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path,
                        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x",
                        frontend_dir=tmp_path / "no-dashboard", reaper_interval_s=3600)
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/v1/experiments")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"


@contextmanager
def real_api(settings: Settings, port: int) -> Iterator[str]:
    """The app served over HTTP by uvicorn in a thread, on ``port``; yields its URL."""
    server = uvicorn.Server(uvicorn.Config(create_app(settings), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 10, interval_s=0.05, what="uvicorn to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_the_forwarder_keeps_points_while_the_api_is_down_and_drops_rejected_ones(
    settings: Settings, client: TestClient
) -> None:
    run_id = new_run(client)
    port = free_port()
    rows = [p.model_dump() for p in points(range(0, 2500))]
    forwarder = MetricsForwarder(f"http://127.0.0.1:{port}", run_id, batch_size=1000)
    try:
        forwarder.add(rows[:1500])
        assert not forwarder.flush()  # nothing listens: kept, and a backoff starts
        assert len(forwarder.pending) == 1500
        with real_api(settings, port):
            assert forwarder.flush_until(15)  # after the backoff
            forwarder.add(rows[1000:])  # overlaps what was sent: stored once
            assert forwarder.flush()
            rejected = MetricsForwarder(f"http://127.0.0.1:{port}", 10**9)  # no such run: 404
            rejected.add(rows[:10])
            assert rejected.flush() and rejected.dropped == 10 and not rejected.pending
            rejected.close()
    finally:
        forwarder.close()
    history = client.get(f"/api/v1/runs/{run_id}/metrics",
                         params={"key": "loss", "max_points": 10_000}).json()
    assert history["steps"] == list(range(2500))
    assert forwarder.dropped == 0
