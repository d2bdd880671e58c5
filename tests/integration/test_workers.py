"""Workers that survive failures and scale out (issue 8), against real PostgreSQL, Redis,
``rlboard serve`` and ``rlboard worker`` processes: a killed worker's run resumes elsewhere, a
duplicated message trains nothing twice, cancel stops every process of a sync or an async
run, a warm shutdown requeues, 20 runs on 2 workers, and a Redis outage plus an API restart
mid-run.

Heartbeats are fast here (0.5 s, a lease of 4 s) so that failures are noticed in seconds.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from backend import broker
from backend.client import RlboardClient
from backend.settings import Settings
from tests.support import (
    LOG_INTERVAL,
    fast_env,
    free_port,
    ppo_spec,
    processes_mentioning,
    running_server,
    running_worker,
    wait_for,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

def wait_finished(client: RlboardClient, run_id: int, timeout_s: float = 300):
    return wait_for(lambda: (r := client.get_run(run_id)).status in
                    ("succeeded", "failed", "cancelled") and r, timeout_s, interval_s=0.5,
                    what=f"run {run_id} to finish")


def logged_steps(api: str, run_id: int) -> list[int]:
    """The steps of the run's ``steps_per_second`` series, every stored point."""
    history = httpx.get(f"{api}/api/v1/runs/{run_id}/metrics",
                        params={"key": "steps_per_second", "max_points": 10_000}, timeout=10)
    return history.json()["steps"]


def assert_complete_series(api: str, run_id: int, n_steps: int) -> None:
    """One point per log interval, none missing, none twice."""
    assert logged_steps(api, run_id) == list(range(LOG_INTERVAL, n_steps + 1, LOG_INTERVAL))


def process_group(pgid: int) -> list[int]:
    """Live (not zombie) processes of the process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(") ", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def test_a_sigkilled_workers_run_resumes_on_another_worker_without_gaps(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    # Long enough that the kill, on the first report past 4 intervals, comes well before the
    # end on a fast machine too (14 intervals did not: at 16k steps/s the run had finished).
    n_steps = 60 * LOG_INTERVAL
    env = fast_env(tmp_path / "data", postgres_url, redis_url)
    with running_server(env, worker=False, log_path=tmp_path / "api.log") as api, \
            RlboardClient(api) as client:
        worker_env = {**env, "RLBOARD_API_URL": api}
        with running_worker(worker_env, queues="cpu", concurrency=1, name="doomed@%h",
                            log_path=tmp_path / "w1.log") as doomed:
            run_id = client.create_experiment(ppo_spec("it-kill", n_steps, [0])).runs[0].id
            run_dir = tmp_path / "data" / "runs" / str(run_id)
            # Past a few checkpoints, well before the end.
            wait_for(lambda: client.get_run(run_id).steps_done >= 4 * LOG_INTERVAL, 120,
                     what="the run to report progress")
            os.killpg(doomed.pid, signal.SIGKILL)
            wait_for(lambda: not processes_mentioning(str(run_dir)), 10, what="the engine to die")
            assert not (run_dir / "summary.json").exists(), "the run finished before the kill"
        # Nobody holds the run now; a second worker starts and gets it once its lease expired.
        with running_worker(worker_env, queues="cpu", concurrency=1, name="second@%h",
                            log_path=tmp_path / "w2.log"):
            run = wait_finished(client, run_id)
        assert run.status == "succeeded", run.error
        assert run.recoveries == 1
        fresh, resumed = run.attempts
        assert (fresh.kind, fresh.status) == ("fresh", "failed")
        assert fresh.worker.startswith("doomed@") and "lost" in fresh.error
        assert (resumed.kind, resumed.status) == ("resume", "succeeded")
        assert resumed.worker.startswith("second@")
        log = (run_dir / "log.txt").read_text()
        assert "resuming from" in log and "starting from scratch" not in log
        assert_complete_series(api, run_id, n_steps)


def test_a_duplicated_message_of_a_live_run_trains_nothing_twice(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    env = fast_env(tmp_path / "data", postgres_url, redis_url)
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url,
                        broker_url=redis_url)
    with running_server(env, worker=False, log_path=tmp_path / "api.log") as api, \
            RlboardClient(api) as client:
        worker_env = {**env, "RLBOARD_API_URL": api}
        logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
        with running_worker(worker_env, queues="cpu", concurrency=1, name="w1@%h",
                            log_path=logs[0]), \
                running_worker(worker_env, queues="cpu", concurrency=1, name="w2@%h",
                               log_path=logs[1]):
            run_id = client.create_experiment(ppo_spec("it-dup", 5_000_000, [0])).runs[0].id
            run_dir = str(tmp_path / "data" / "runs" / str(run_id))
            wait_for(lambda: client.get_run(run_id).steps_done > 0, 120,
                     what="the run to report progress")
            # Longer than the visibility timeout (3 s) and kombu's restore scan (10 s): the
            # worker renews its message, so Redis does not hand it to the idle worker.
            time.sleep(14)
            assert not any("delivery dropped" in log.read_text() for log in logs)

            broker.enqueue_run(run_id, "cpu", settings)  # the same run, delivered again
            wait_for(lambda: any("delivery dropped" in log.read_text() for log in logs), 30,
                     what="the duplicate to be dropped")
            assert len(processes_mentioning(run_dir)) == 1
            run = client.get_run(run_id)
            assert run.status == "running" and len(run.attempts) == 1
            client.cancel_run(run_id)
            assert wait_finished(client, run_id, 30).status == "cancelled"


#: A long async DQN run: its optimiser, sampler and two memory copiers are four processes.
ASYNC_DQN = {
    "name": "it-async", "env": {"id": "CartPole-v1"},
    "algo": {"name": "DQN", "params": {"min_steps_learn": 500, "replay_size": 10_000}},
    "sampler": {"batch_T": 4, "batch_B": 4},
    "runner": {"kind": "async", "n_steps": 5_000_000, "log_interval_steps": LOG_INTERVAL},
    "device": "cpu", "seeds": [0],
}


@pytest.mark.parametrize(
    "spec",
    [ppo_spec("it-sync", 5_000_000, [0], kind="sync", world_size=2), ASYNC_DQN],
    ids=["sync", "async"],
)
def test_cancel_stops_every_process_of_a_multi_process_run_within_5_s(
    tmp_path: Path, postgres_url: str, redis_url: str, spec: dict
) -> None:
    env = fast_env(tmp_path / "data", postgres_url, redis_url)
    with running_server(env, worker=False, log_path=tmp_path / "api.log") as api, \
            running_worker({**env, "RLBOARD_API_URL": api}, queues="cpu", concurrency=1,
                           name="w1@%h", log_path=tmp_path / "worker.log"), \
            RlboardClient(api) as client:
        run_id = client.create_experiment(spec).runs[0].id
        run_dir = str(tmp_path / "data" / "runs" / str(run_id))
        wait_for(lambda: client.get_run(run_id).steps_done > 0, 180,
                 what="the run to report progress")
        [engine] = processes_mentioning(run_dir)
        pgid = os.getpgid(engine)  # the engine leads its own group (start_new_session)
        # The first process and what it spawned: a second rank, or the sampler and copiers.
        assert len(process_group(pgid)) >= (2 if spec["runner"]["kind"] == "sync" else 4), \
            process_group(pgid)

        client.cancel_run(run_id)
        cancelled_at = time.monotonic()
        wait_for(lambda: not process_group(pgid), 5, interval_s=0.1,
                 what="every process of the run to stop")
        assert time.monotonic() - cancelled_at <= 5
        assert wait_finished(client, run_id, 10).status == "cancelled"


def test_warm_shutdown_requeues_the_run_and_another_worker_resumes_it(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    n_steps = 12 * LOG_INTERVAL
    env = fast_env(tmp_path / "data", postgres_url, redis_url)
    with running_server(env, worker=False, log_path=tmp_path / "api.log") as api, \
            RlboardClient(api) as client:
        worker_env = {**env, "RLBOARD_API_URL": api}
        with running_worker(worker_env, queues="cpu", concurrency=1, name="leaving@%h",
                            log_path=tmp_path / "w1.log") as leaving:
            run_id = client.create_experiment(ppo_spec("it-term", n_steps, [0])).runs[0].id
            wait_for(lambda: client.get_run(run_id).steps_done >= 3 * LOG_INTERVAL, 120,
                     what="the run to report progress")
            leaving.send_signal(signal.SIGTERM)
            run = wait_for(lambda: (r := client.get_run(run_id)).status == "queued" and r, 20,
                           interval_s=0.2, what="the run to be queued again")
            assert leaving.wait(20) == 0
        assert run.attempts[0].error.startswith("requeued: worker leaving@")
        with running_worker(worker_env, queues="cpu", concurrency=1, name="next@%h",
                            log_path=tmp_path / "w2.log"):
            run = wait_finished(client, run_id)
        assert run.status == "succeeded", run.error
        assert [(a.kind, a.status) for a in run.attempts] == [("fresh", "failed"),
                                                               ("resume", "succeeded")]
        assert run.recoveries == 0  # a shutdown is no failure
        assert_complete_series(api, run_id, n_steps)


def test_twenty_runs_on_two_workers_all_finish_once(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    env = fast_env(tmp_path / "data", postgres_url, redis_url)
    spec = {**ppo_spec("it-twenty", 512, list(range(20))),
            "runner": {"n_steps": 512, "log_interval_steps": 256}}
    with running_server(env, worker=False, log_path=tmp_path / "api.log") as api, \
            running_worker({**env, "RLBOARD_API_URL": api}, queues="cpu", concurrency=1,
                           name="a@%h", log_path=tmp_path / "a.log"), \
            running_worker({**env, "RLBOARD_API_URL": api}, queues="cpu", concurrency=1,
                           name="b@%h", log_path=tmp_path / "b.log"), \
            RlboardClient(api) as client:
        experiment = client.create_experiment(spec)
        run_ids = [run.id for run in experiment.runs]
        wait_for(lambda: client.get_experiment(experiment.id).status_counts["succeeded"] == 20,
                 600, interval_s=2, what="all 20 runs to succeed")
        runs = [client.get_run(run_id) for run_id in run_ids]
        assert all(len(run.attempts) == 1 for run in runs)
        assert {run.worker.split("@")[0] for run in runs} == {"a", "b"}
        for run_id in run_ids:
            # One engine start per run: its log has one training's rows, its series 2 points.
            log = (tmp_path / "data" / "runs" / str(run_id) / "log.txt").read_text()
            assert log.count("resuming from") == 0
            assert logged_steps(api, run_id) == [256, 512]
        workers = httpx.get(f"{api}/api/v1/workers", timeout=10).json()
        assert {w["name"].split("@")[0] for w in workers if w["alive"]} == {"a", "b"}


def test_redis_down_for_10_s_and_an_api_restart_lose_nothing(
    tmp_path: Path, postgres_url: str, own_redis: tuple[str, Callable[[float], None]]
) -> None:
    redis_url, restart_redis = own_redis
    n_steps = 24 * LOG_INTERVAL
    env = fast_env(tmp_path / "data", postgres_url, redis_url)
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    with running_worker({**env, "RLBOARD_API_URL": api}, queues="cpu", concurrency=1,
                        name="w1@%h", log_path=tmp_path / "worker.log"):
        with running_server(env, worker=False, log_path=tmp_path / "api.log", port=port), \
                RlboardClient(api) as client:
            run_id = client.create_experiment(ppo_spec("it-outage", n_steps, [0])).runs[0].id
            wait_for(lambda: client.get_run(run_id).steps_done > 0, 120,
                     what="the run to report progress")
        # The API is down now; Redis goes down too, for 10 s.
        restart_redis(10)
        with running_server(env, worker=False, log_path=tmp_path / "api2.log", port=port), \
                RlboardClient(api) as client:
            # Not requeued nor failed: still running, or (on a quiet machine) already done
            # while the API was away, its points waiting in the worker.
            assert client.get_run(run_id).status in ("running", "succeeded")
            run = wait_finished(client, run_id)
            assert run.status == "succeeded", run.error
            assert len(run.attempts) == 1
            # Points logged while the API was down were kept and sent afterwards.
            wait_for(lambda: len(logged_steps(api, run_id)) == n_steps // LOG_INTERVAL, 30,
                     what="every point to arrive")
            assert_complete_series(api, run_id, n_steps)
