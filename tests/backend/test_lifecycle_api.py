"""Cancel, retry and resume over HTTP, run attempts, and the reaper on cancelling runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend import broker
from backend.models import MetricPoint, MetricSeries, Run, utcnow
from backend.schemas import Provenance
from backend.services import runs
from tests.backend.factories import create_experiment

POINT = {"key": "loss", "step": 1024, "value": 1.0, "wall_time": 1.0}


@pytest.fixture
def revoked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Task ids the API revoked."""
    calls: list[str] = []
    monkeypatch.setattr(broker, "revoke_task", lambda task_id, _settings: calls.append(task_id))
    return calls


@pytest.fixture
def run_ids(client: TestClient) -> list[int]:
    return [run["id"] for run in create_experiment(client, seeds=[0, 1])["runs"]]


def post(client: TestClient, path: str, expected: int = 200) -> dict:
    response = client.post(f"/api/v1{path}")
    assert response.status_code == expected, response.text
    return response.json()


def test_a_new_run_has_its_resolved_spec_and_a_first_attempt(
    client: TestClient, run_ids: list[int]
) -> None:
    run = client.get(f"/api/v1/runs/{run_ids[1]}").json()
    assert run["spec"]["seeds"] == [1]
    assert run["spec"]["algo"]["params"]["discount"] == 0.99  # resolved: defaults filled in
    assert run["variant"] is None
    [attempt] = run["attempts"]
    assert (attempt["number"], attempt["kind"], attempt["status"]) == (1, "fresh", "queued")
    assert attempt["task_id"] == run["task_id"]
    assert attempt["rlboard_version"] is attempt["device"] is None


def test_cancel_of_a_queued_run_is_immediate_and_revokes_its_task(
    client: TestClient, run_ids: list[int], revoked: list[str], session: Session
) -> None:
    task_id = client.get(f"/api/v1/runs/{run_ids[0]}").json()["task_id"]
    run = post(client, f"/runs/{run_ids[0]}/cancel")
    assert run["status"] == "cancelled"
    assert run["finished_at"] is not None
    assert run["attempts"][0]["status"] == "cancelled"
    assert run["attempts"][0]["finished_at"] == run["finished_at"]
    assert revoked == [task_id]
    # The worker that still gets the message does nothing.
    assert runs.claim_run(session, run_ids[0], "w@host") is None
    assert client.get(f"/api/v1/runs/{run_ids[1]}").json()["status"] == "queued"


def test_cancel_of_a_running_run_goes_through_cancelling(
    client: TestClient, run_ids: list[int], revoked: list[str], session: Session
) -> None:
    runs.claim_run(session, run_ids[0], "w@host")
    run = post(client, f"/runs/{run_ids[0]}/cancel")
    assert run["status"] == "cancelling"
    assert run["finished_at"] is None
    assert revoked == []
    # Again: still cancelling, not an error.
    assert post(client, f"/runs/{run_ids[0]}/cancel")["status"] == "cancelling"
    # The worker sees it at its next status read and finishes the run as cancelled.
    assert runs.get_status(session, run_ids[0]) == "cancelling"
    runs.finish_run(session, run_ids[0], "cancelled")
    run = client.get(f"/api/v1/runs/{run_ids[0]}").json()
    assert run["status"] == "cancelled"
    assert [(a["status"], a["worker"]) for a in run["attempts"]] == [("cancelled", "w@host")]


def test_finished_runs_cannot_be_cancelled_and_unknown_runs_are_404(
    client: TestClient, run_ids: list[int], session: Session
) -> None:
    runs.claim_run(session, run_ids[0], "w@host")
    runs.finish_run(session, run_ids[0], "succeeded")
    response = client.post(f"/api/v1/runs/{run_ids[0]}/cancel")
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"cannot cancel run {run_ids[0]}: it is succeeded, and cancel needs a "
        "queued or running run"
    }
    for action in ("cancel", "retry", "resume"):
        response = client.post(f"/api/v1/runs/999/{action}")
        assert response.status_code == 404
        assert response.json() == {"detail": "run 999 not found"}
    response = client.post("/api/v1/experiments/999/cancel")
    assert (response.status_code, response.json()) == (404, {"detail": "experiment 999 not found"})


def test_cancel_of_an_experiment_cancels_every_unfinished_run(
    client: TestClient, revoked: list[str], session: Session
) -> None:
    experiment = create_experiment(client, seeds=[0, 1, 2])
    queued, running, done = (run["id"] for run in experiment["runs"])
    runs.claim_run(session, running, "w@host")
    runs.claim_run(session, done, "w@host")
    runs.finish_run(session, done, "failed", "boom")

    cancelled = post(client, f"/experiments/{experiment['id']}/cancel")
    assert [run["status"] for run in cancelled["runs"]] == ["cancelled", "cancelling", "failed"]
    assert len(revoked) == 1
    # Nothing left to cancel: the same answer, no error.
    again = post(client, f"/experiments/{experiment['id']}/cancel")
    assert [run["status"] for run in again["runs"]] == ["cancelled", "cancelling", "failed"]


@pytest.mark.parametrize("action", ["retry", "resume"])
def test_only_failed_or_cancelled_runs_restart(
    client: TestClient, run_ids: list[int], session: Session, action: str
) -> None:
    response = client.post(f"/api/v1/runs/{run_ids[0]}/{action}")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"cannot {action} run {run_ids[0]}: it is queued, and {action} needs a failed or "
        "cancelled run"
    )
    runs.claim_run(session, run_ids[0], "w@host")
    assert client.post(f"/api/v1/runs/{run_ids[0]}/{action}").status_code == 409


def test_retry_starts_a_fresh_attempt_without_the_old_points(
    client: TestClient, run_ids: list[int], session: Session
) -> None:
    run_id = run_ids[0]
    runs.claim_run(session, run_id, "w1@host")
    runs.record_provenance(
        session,
        run_id,
        Provenance(rlboard_version="0.1.0", git_commit="a" * 40,
                   packages={"python": "3.11.2", "torch": "2.13.0"}, device="cpu", host="h1"),
    )
    client.post(f"/api/v1/runs/{run_id}/metrics", json={"points": [POINT]})
    runs.finish_run(session, run_id, "failed", "engine exited with code 1")
    old_task = client.get(f"/api/v1/runs/{run_id}").json()["task_id"]

    run = post(client, f"/runs/{run_id}/retry")
    assert run["status"] == "queued"
    assert run["worker"] is run["error"] is run["started_at"] is run["finished_at"] is None
    assert run["steps_done"] == 0
    assert run["task_id"] and run["task_id"] != old_task
    first, second = run["attempts"]
    assert (first["number"], first["kind"], first["status"]) == (1, "fresh", "failed")
    assert first["error"] == "engine exited with code 1"
    assert (first["worker"], first["device"], first["host"]) == ("w1@host", "cpu", "h1")
    assert first["packages"] == {"python": "3.11.2", "torch": "2.13.0"}
    assert (first["rlboard_version"], first["git_commit"]) == ("0.1.0", "a" * 40)
    assert (second["number"], second["kind"], second["status"]) == (2, "retry", "queued")
    assert second["task_id"] == run["task_id"]
    for table in (MetricPoint, MetricSeries):
        assert session.scalar(select(func.count()).where(table.run_id == run_id)) == 0

    # The new attempt is claimed like the first.
    runs.claim_run(session, run_id, "w2@host")
    attempts = client.get(f"/api/v1/runs/{run_id}").json()["attempts"]
    assert [(a["status"], a["worker"]) for a in attempts] == [
        ("failed", "w1@host"), ("running", "w2@host")
    ]


def test_resume_keeps_the_points_and_progress(
    client: TestClient, run_ids: list[int], session: Session, revoked: list[str]
) -> None:
    run_id = run_ids[0]
    client.post(f"/api/v1/runs/{run_id}/metrics", json={"points": [POINT]})
    post(client, f"/runs/{run_id}/cancel")
    run = post(client, f"/runs/{run_id}/resume")
    assert (run["status"], run["steps_done"]) == ("queued", 1024)
    assert [(a["kind"], a["status"]) for a in run["attempts"]] == [
        ("fresh", "cancelled"), ("resume", "queued")
    ]
    assert session.scalar(select(func.count()).where(MetricPoint.run_id == run_id)) == 1


def test_the_reaper_cancels_cancelling_runs_whose_worker_went_silent(
    client: TestClient, run_ids: list[int], session: Session
) -> None:
    cancelling, running = run_ids
    for run_id in run_ids:
        runs.claim_run(session, run_id, "gone@host")
    post(client, f"/runs/{cancelling}/cancel")
    session.execute(update(Run).values(heartbeat_at=utcnow() - timedelta(seconds=61)))
    session.commit()

    assert sorted(runs.mark_lost_runs(session, timeout_s=60)) == sorted(run_ids)
    cancelled = client.get(f"/api/v1/runs/{cancelling}").json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["attempts"][0]["status"] == "cancelled"
    failed = client.get(f"/api/v1/runs/{running}").json()
    assert (failed["status"], failed["attempts"][0]["status"]) == ("failed", "failed")
    assert failed["attempts"][0]["error"] == "lost: no heartbeat from worker gone@host for 60 s"
