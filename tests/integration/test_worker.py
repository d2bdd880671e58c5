"""A real API server, PostgreSQL, Redis as the broker and real ``celery worker`` processes."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.support import (
    fast_env,
    ppo_spec,
    processes_mentioning,
    rlboard_env,
    running_server,
    running_worker,
    wait_for,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def env(tmp_path: Path, postgres_url: str, redis_url: str) -> dict[str, str]:
    return rlboard_env(tmp_path / "data", database_url=postgres_url, broker_url=redis_url)


def create(api: str, spec: dict) -> dict:
    response = httpx.post(f"{api}/api/v1/experiments", json={"spec": spec, "tags": []}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def run_status(api: str, run_id: int) -> dict:
    return httpx.get(f"{api}/api/v1/runs/{run_id}", timeout=10).json()


def test_worker_trains_every_seed_and_streams_metrics(env: dict[str, str], tmp_path: Path) -> None:
    with running_server(env, worker=False, log_path=tmp_path / "api.log") as api, \
            running_worker({**env, "RLBOARD_API_URL": api}, queues="cpu", concurrency=2,
                           name="w1@%h", log_path=tmp_path / "worker.log"):
        experiment = create(api, ppo_spec("it-ppo", 6144, [0, 1]))
        run_ids = [run["id"] for run in experiment["runs"]]

        def all_finished() -> list[dict] | None:
            states = [run_status(api, run_id) for run_id in run_ids]
            return states if all(s["status"] in ("succeeded", "failed") for s in states) else None

        states = wait_for(all_finished, 240, what="both runs to finish")
        for state in states:
            assert state["status"] == "succeeded", state["error"]
            assert state["worker"].startswith("w1@")
            assert state["steps_done"] >= 6144

        curves = httpx.get(f"{api}/api/v1/experiments/{experiment['id']}/curves",
                           params={"key": "steps_per_second"}, timeout=10).json()
        assert sorted(r["seed"] for r in curves["runs"]) == [0, 1]
        for series in curves["runs"]:
            # One row per log interval (1024 steps, rounded up to whole 256-step iterations).
            assert len(series["steps"]) >= 5
            assert series["steps"] == sorted(series["steps"])
        assert any(n == 2 for n in curves["aggregate"]["n"])


def test_killed_worker_leaves_its_run_failed_not_running(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    # No automatic resume (test_workers.py has that): the lost run must end failed. A lease of
    # seconds, not the default minute, so the test does not wait a minute for the reaper.
    env = fast_env(tmp_path / "data", postgres_url, redis_url, max_recoveries="0")
    with running_server(env, worker=False, log_path=tmp_path / "api.log") as api:
        worker_env = {**env, "RLBOARD_API_URL": api}
        with running_worker(worker_env, queues="cpu", concurrency=1, name="doomed@%h",
                            log_path=tmp_path / "worker.log") as worker:
            experiment = create(api, ppo_spec("it-kill", 5_000_000, [0]))
            run_id = experiment["runs"][0]["id"]
            wait_for(lambda: run_status(api, run_id)["steps_done"] > 0, 120,
                     what="the run to report progress")
            run_dir = str(tmp_path / "data" / "runs" / str(run_id))
            assert processes_mentioning(run_dir), "the engine process should be running"

            os.killpg(worker.pid, signal.SIGKILL)
            killed_at = time.monotonic()
            # The engine dies with the worker (parent-death signal), not minutes later.
            wait_for(lambda: not processes_mentioning(run_dir), 10, what="the engine to exit")

        failed = wait_for(lambda: (s := run_status(api, run_id))["status"] == "failed" and s, 30,
                          interval_s=0.5, what="the lost run to be marked failed")
        # The lease (4 s) and a reaper pass (0.5 s), with room for a loaded machine.
        assert time.monotonic() - killed_at <= 30
        assert "lost" in failed["error"] and "doomed@" in failed["error"]
