"""The sync and async runners launched over the REST API on a real worker (PostgreSQL, Redis):
each run finishes and its curves come back through the API."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support import rlboard_env, running_server, running_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ASYNC_DQN = {
    "name": "it-async-dqn",
    "env": {"id": "CartPole-v1"},
    "algo": {"name": "DQN", "params": {"batch_size": 32, "min_steps_learn": 500,
                                       "replay_size": 10_000, "replay_ratio": 8}},
    "sampler": {"kind": "serial", "batch_T": 4, "batch_B": 4, "eval_n_envs": 2,
                "eval_max_trajectories": 2},
    "runner": {"kind": "async_eval", "n_steps": 3000, "log_interval_steps": 1000},
    "device": "cpu",
    "seeds": [0],
}
SYNC_PPO = {
    "name": "it-sync-ppo",
    "env": {"id": "CartPole-v1"},
    "algo": {"name": "PPO"},
    "sampler": {"batch_T": 32, "batch_B": 4},
    "runner": {"kind": "sync", "world_size": 2, "n_steps": 3072, "log_interval_steps": 1024},
    "device": "cpu",
    "seeds": [0],
}


def test_async_and_sync_experiments_finish_with_curves(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    env = rlboard_env(tmp_path / "data", database_url=postgres_url, broker_url=redis_url)
    with running_server(env, worker=False, log_path=tmp_path / "api.log") as api, \
            running_worker({**env, "RLBOARD_API_URL": api}, queues="cpu", concurrency=1,
                           name="w1@%h", log_path=tmp_path / "worker.log"):
        experiments = {}
        for spec in (ASYNC_DQN, SYNC_PPO):
            response = httpx.post(f"{api}/api/v1/experiments", json={"spec": spec}, timeout=30)
            assert response.status_code == 201, response.text
            experiments[spec["runner"]["kind"]] = response.json()

        def finished(experiment: dict) -> dict | None:
            run_id = experiment["runs"][0]["id"]
            run = httpx.get(f"{api}/api/v1/runs/{run_id}", timeout=10).json()
            return run if run["status"] in ("succeeded", "failed", "cancelled") else None

        for kind, experiment in experiments.items():
            run = wait_for(lambda e=experiment: finished(e), 300, what=f"the {kind} run")
            assert run["status"] == "succeeded", run["error"]

        def curve(kind: str, key: str) -> list[int]:
            response = httpx.get(
                f"{api}/api/v1/experiments/{experiments[kind]['id']}/curves",
                params={"key": key}, timeout=10,
            )
            assert response.status_code == 200, response.text
            [series] = response.json()["runs"]
            return series["steps"]

        assert curve("async_eval", "replay_ratio") == [1008, 2000, 3008]
        assert curve("async_eval", "eval_return_mean") == [0, 1008, 2000, 3008]
        assert curve("sync", "return_mean") == [1024, 2048, 3072]
