"""Run leases (claim, takeover, fencing), requeue and recovery of lost runs, time limits, the
worker registry behind ``GET /workers``, and a GPU worker's pool of GPUs."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from backend.models import Run, Worker, utcnow
from backend.services import runs, workers
from backend.settings import Settings
from tests.backend.factories import create_experiment, ppo_spec
from worker.resources import GpuPool, cuda_visible_devices


@pytest.fixture
def run_id(client: TestClient) -> int:
    return create_experiment(client, seeds=[0])["runs"][0]["id"]


def age_heartbeat(session: Session, run_id: int, seconds: float) -> None:
    session.execute(
        update(Run).where(Run.id == run_id)
        .values(heartbeat_at=utcnow() - timedelta(seconds=seconds))
    )
    session.commit()


def test_a_live_lease_is_never_taken_an_expired_one_is_resumed(
    session: Session, run_id: int
) -> None:
    first = runs.claim_run(session, run_id, "w1@host", lease_timeout_s=60)
    lease = first.lease_id
    assert lease and first.status == "running"
    # A second delivery while the lease is alive: dropped.
    assert runs.claim_run(session, run_id, "w2@host", lease_timeout_s=60) is None

    age_heartbeat(session, run_id, 61)
    taken = runs.claim_run(session, run_id, "w2@host", lease_timeout_s=60)
    assert taken is not None and taken.worker == "w2@host" and taken.lease_id != lease
    assert taken.recoveries == 1
    assert [(a.kind, a.status, a.worker) for a in taken.attempts] == [
        ("fresh", "failed", "w1@host"), ("resume", "running", "w2@host")
    ]
    assert "lease of worker w1@host expired" in taken.attempts[0].error

    # The first worker is fenced off: its heartbeat and its verdict change nothing.
    assert runs.record_heartbeat(session, run_id, 4096, lease) is None
    runs.finish_run(session, run_id, "failed", "engine exited", lease)
    session.expire_all()
    run = session.get(Run, run_id)
    assert (run.status, run.steps_done, run.worker) == ("running", 0, "w2@host")
    assert runs.record_heartbeat(session, run_id, 2048, taken.lease_id) == "running"
    runs.finish_run(session, run_id, "succeeded", None, taken.lease_id)
    session.expire_all()
    assert session.get(Run, run_id).status == "succeeded"


def test_requeue_makes_a_resume_attempt_and_a_new_message(
    session: Session, run_id: int, settings: Settings
) -> None:
    claimed = runs.claim_run(session, run_id, "w1@host")
    task_id = claimed.task_id
    assert not runs.requeue_run(session, run_id, "requeued", settings, lease_id="someone-else")
    assert runs.requeue_run(session, run_id, "requeued: worker w1@host shut down", settings,
                            lease_id=claimed.lease_id)
    session.expire_all()
    run = session.get(Run, run_id)
    assert (run.status, run.worker, run.lease_id, run.recoveries) == ("queued", None, None, 0)
    assert run.task_id and run.task_id != task_id
    assert [(a.kind, a.status) for a in run.attempts] == [("fresh", "failed"),
                                                          ("resume", "queued")]
    assert run.attempts[0].error == "requeued: worker w1@host shut down"
    assert run.attempts[1].task_id == run.task_id


def test_the_reaper_resumes_lost_runs_until_max_recoveries_then_fails_them(
    session: Session, run_id: int, settings: Settings
) -> None:
    settings = settings.model_copy(update={"max_recoveries": 2, "heartbeat_timeout_s": 60})
    for recovery in (1, 2):
        runs.claim_run(session, run_id, f"w{recovery}@host")
        assert runs.recover_lost_runs(session, settings) == []  # alive
        age_heartbeat(session, run_id, 61)
        assert runs.recover_lost_runs(session, settings) == [run_id]
        session.expire_all()
        run = session.get(Run, run_id)
        assert (run.status, run.recoveries) == ("queued", recovery)
        assert f"no heartbeat from worker w{recovery}@host" in run.attempts[-2].error
    runs.claim_run(session, run_id, "w3@host")
    age_heartbeat(session, run_id, 61)
    assert runs.recover_lost_runs(session, settings) == []
    session.expire_all()
    run = session.get(Run, run_id)
    assert run.status == "failed" and "lost" in run.error
    assert [a.kind for a in run.attempts] == ["fresh", "resume", "resume"]


def test_a_time_limit_is_a_submission_option_stored_on_every_run(client: TestClient) -> None:
    response = client.post("/api/v1/experiments",
                           json={"spec": ppo_spec(seeds=[0, 1]), "time_limit_s": 90})
    assert response.status_code == 201, response.text
    assert [run["time_limit_s"] for run in response.json()["runs"]] == [90, 90]
    bad = client.post("/api/v1/experiments", json={"spec": ppo_spec(), "time_limit_s": 0})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "time_limit_s"]


def test_gpu_runs_go_to_the_gpu_queue(client: TestClient) -> None:
    gpu = create_experiment(client, device="cuda", seeds=[0])
    cpu = create_experiment(client, device="cpu", seeds=[0])
    assert (gpu["runs"][0]["queue"], cpu["runs"][0]["queue"]) == ("gpu", "cpu")


def test_workers_report_themselves_and_their_runs(
    client: TestClient, session: Session, settings: Settings
) -> None:
    assert client.get("/api/v1/workers").json() == []
    workers.register_worker(session, "gpu1@a", "a", 11, ["gpu"], ["0", "1"], 2)
    workers.register_worker(session, "cpu1@b", "b", 12, ["cpu"], [], 4)
    workers.worker_heartbeat(session, "gpu1@a", [7, 3])
    workers.stop_worker(session, "cpu1@b")
    listed = client.get("/api/v1/workers").json()
    assert [(w["name"], w["alive"], w["run_ids"]) for w in listed] == [
        ("cpu1@b", False, []), ("gpu1@a", True, [3, 7])
    ]
    assert (listed[1]["gpus"], listed[1]["queues"], listed[1]["concurrency"]) == (
        ["0", "1"], ["gpu"], 2)
    # A restarted worker replaces its row; one silent too long is not alive.
    workers.register_worker(session, "cpu1@b", "b", 13, ["cpu"], [], 4)
    session.execute(update(Worker).where(Worker.name == "gpu1@a").values(
        heartbeat_at=utcnow() - timedelta(seconds=settings.heartbeat_timeout_s + 1)))
    session.commit()
    listed = client.get("/api/v1/workers").json()
    assert [(w["name"], w["alive"], w["pid"]) for w in listed] == [
        ("cpu1@b", True, 13), ("gpu1@a", False, 11)
    ]


def test_a_gpu_pool_hands_out_whole_gpus_and_waits_for_enough() -> None:
    pool = GpuPool(["0", "1", "2"])
    assert pool.acquire(2, lambda: True, 0.01) == ["0", "1"]
    with pytest.raises(ValueError, match="needs 4 GPUs; this worker has 3"):
        pool.acquire(4, lambda: True, 0.01)
    asked: list[int] = []
    # Two wanted, one free: it waits, asking whether the run still wants them, until told no.
    assert pool.acquire(2, lambda: asked.append(1) or len(asked) < 3, 0.01) == []
    assert len(asked) == 3
    got: list[list[str]] = []
    waiter = threading.Thread(target=lambda: got.append(pool.acquire(2, lambda: True, 0.01)))
    waiter.start()
    pool.release(["1"])
    waiter.join(5)
    assert got == [["1", "2"]]
    assert cuda_visible_devices(got[0]) == "1,2"
