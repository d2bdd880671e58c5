"""Cancel of a running run through a real API server and a real worker, then a retry."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from backend.client import RlboardClient
from tests.support import processes_mentioning, rlboard_env, running_server, running_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def ppo_spec(n_steps: int) -> dict:
    return {
        "name": "it-cancel",
        "env": {"id": "CartPole-v1"},
        "algo": {"name": "PPO"},
        "sampler": {"batch_T": 32, "batch_B": 8},
        "runner": {"n_steps": n_steps, "log_interval_steps": 1024},
        "device": "cpu",
        "seeds": [0],
    }


def test_cancel_stops_the_engine_within_5_s_and_retry_trains_again(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    env = rlboard_env(tmp_path / "data", database_url=postgres_url, broker_url=redis_url)
    with running_server(env, worker=False, log_path=tmp_path / "api.log") as api, \
            running_worker({**env, "RLBOARD_API_URL": api}, queues="cpu", concurrency=1,
                           name="w1@%h", log_path=tmp_path / "worker.log"), \
            RlboardClient(api) as client:
        # Long enough to be cancelled mid-way, short enough for the retry to finish.
        experiment = client.create_experiment(ppo_spec(20_000), tags=["it"])
        run_id = experiment.runs[0].id
        run_dir = str(tmp_path / "data" / "runs" / str(run_id))
        wait_for(lambda: processes_mentioning(run_dir), 120, interval_s=0.2,
                 what="the engine process to start")
        assert client.get_run(run_id).status == "running"

        assert client.cancel_run(run_id).status == "cancelling"
        cancelled_at = time.monotonic()
        wait_for(lambda: not processes_mentioning(run_dir), 5, interval_s=0.1,
                 what="the engine to stop")
        assert time.monotonic() - cancelled_at <= 5
        run = wait_for(lambda: (r := client.get_run(run_id)).status == "cancelled" and r, 10,
                       interval_s=0.2, what="the run to be cancelled")
        [attempt] = run.attempts
        assert (attempt.status, attempt.kind) == ("cancelled", "fresh")
        assert attempt.worker.startswith("w1@")
        assert attempt.rlboard_version and attempt.host and attempt.device == "cpu"
        assert attempt.packages["python"] and attempt.packages["torch"]

        # The same run, trained again from scratch.
        retried = client.retry_run(run_id)
        # The worker may claim it before the answer is written.
        assert retried.status in ("queued", "running")
        assert [a.kind for a in retried.attempts] == ["fresh", "retry"]
        run = wait_for(lambda: (r := client.get_run(run_id)).status in ("succeeded", "failed")
                       and r, 600, interval_s=1, what="the retried run to finish")
        assert run.status == "succeeded", run.error
