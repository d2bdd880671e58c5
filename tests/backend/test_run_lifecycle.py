"""The run lifecycle services the workers call, and the app's lost-run reaper."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from backend.main import create_app
from backend.models import Run, utcnow
from backend.services import runs
from backend.services.errors import NotFoundError
from backend.settings import Settings
from tests.backend.factories import create_experiment


@pytest.fixture
def run_ids(client: TestClient) -> list[int]:
    return [run["id"] for run in create_experiment(client, seeds=[0, 1])["runs"]]


def test_a_run_is_claimed_once_even_when_delivered_twice(
    session: Session, run_ids: list[int]
) -> None:
    claimed = runs.claim_run(session, run_ids[0], "w1@host")
    assert claimed is not None
    assert (claimed.status, claimed.worker) == ("running", "w1@host")
    assert claimed.started_at == claimed.heartbeat_at
    assert claimed.started_at.utcoffset() == timedelta(0)

    assert runs.claim_run(session, run_ids[0], "w2@host") is None
    session.expire_all()
    assert session.get(Run, run_ids[0]).worker == "w1@host"


def test_a_heartbeat_answers_the_status_and_records_progress(
    session: Session, run_ids: list[int]
) -> None:
    runs.claim_run(session, run_ids[0], "w1@host")
    assert runs.record_heartbeat(session, run_ids[0], 2048) == "running"
    run = session.get(Run, run_ids[0], populate_existing=True)
    assert run.steps_done == 2048
    assert runs.record_heartbeat(session, run_ids[0], None) == "running"
    assert session.get(Run, run_ids[0], populate_existing=True).steps_done == 2048
    with pytest.raises(NotFoundError):
        runs.record_heartbeat(session, 999, None)


def test_finish_applies_only_to_running_runs(session: Session, run_ids: list[int]) -> None:
    running, queued = run_ids
    runs.claim_run(session, running, "w1@host")
    runs.finish_run(session, running, "failed", "engine exited with code 1")
    runs.finish_run(session, queued, "succeeded")
    session.expire_all()

    finished = session.get(Run, running)
    assert (finished.status, finished.error) == ("failed", "engine exited with code 1")
    assert finished.finished_at is not None
    assert finished.finished_at.tzinfo is not None
    assert session.get(Run, queued).status == "queued"
    with pytest.raises(ValueError, match="final status"):
        runs.finish_run(session, running, "running")


def test_runs_without_a_recent_heartbeat_are_marked_lost(
    session: Session, run_ids: list[int]
) -> None:
    stale, fresh = run_ids
    runs.claim_run(session, stale, "doomed@host")
    runs.claim_run(session, fresh, "alive@host")
    session.execute(
        update(Run).where(Run.id == stale).values(heartbeat_at=utcnow() - timedelta(seconds=61))
    )
    session.commit()

    assert runs.mark_lost_runs(session, timeout_s=60) == [stale]
    session.expire_all()
    lost = session.get(Run, stale)
    assert lost.status == "failed"
    assert lost.error == "lost: no heartbeat from worker doomed@host for 60 s"
    assert lost.finished_at is not None
    assert session.get(Run, fresh).status == "running"
    # Later, once the second heartbeat is old too.
    later = utcnow() + timedelta(seconds=120)
    assert runs.mark_lost_runs(session, timeout_s=60, now=later) == [fresh]


def test_the_app_reaps_lost_runs_in_the_background_and_stops_cleanly(
    settings: Settings,
) -> None:
    # Without recoveries left, a lost run fails (tests/backend/test_workers.py: it resumes).
    fast_reaper = settings.model_copy(
        update={"reaper_interval_s": 0.05, "heartbeat_timeout_s": 1, "max_recoveries": 0}
    )
    with TestClient(create_app(fast_reaper)) as client:
        run_id = create_experiment(client, seeds=[0])["runs"][0]["id"]
        with client.app.state.session_factory() as session:
            runs.claim_run(session, run_id, "doomed@host")
        deadline = time.monotonic() + 10
        while client.get(f"/api/v1/runs/{run_id}").json()["status"] != "failed":
            assert time.monotonic() < deadline, "the reaper did not mark the run lost"
            time.sleep(0.1)
        assert "doomed@host" in client.get(f"/api/v1/runs/{run_id}").json()["error"]
