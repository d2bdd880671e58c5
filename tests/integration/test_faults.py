"""Faults of the services under load (issue 9), with real processes and no stand-ins: a
PostgreSQL restart while workers and a steady reporter send metrics (every point stored once,
no run requeued or failed), and a Redis restart while runs wait in its queue (every run trains
once). Each test stops only servers of its own (``tests/integration/conftest.py``).

An API restart during runs, with Redis down too, is ``test_workers.py``'s outage test.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import psycopg
import pytest

from backend.client import RlboardClient
from tests.integration.conftest import Restart
from tests.integration.test_workers import assert_complete_series, wait_finished
from tests.support import (
    LOG_INTERVAL,
    ppo_spec,
    rlboard_env,
    running_server,
    running_worker,
    wait_for,
)
from worker.metrics import MetricsForwarder

# Fast heartbeats, but a lease far longer than the outages here: no run may be judged lost.
LEASE = dict(heartbeat_interval_s="0.5", heartbeat_timeout_s="60", reaper_interval_s="0.5",
             cancel_poll_interval_s="0.5")
PROBE_KEY = "fault_probe"


def report_steadily(api: str, run_id: int, stop: threading.Event) -> int:
    """Send ``PROBE_KEY`` points (steps 0, 1, ...) to run ``run_id`` as the worker's reporter
    does, 50 every 50 ms, until ``stop``; then deliver what is left. Returns how many."""
    forwarder = MetricsForwarder(api, run_id)
    sent = 0
    try:
        while not stop.wait(0.05):
            forwarder.add([{"key": PROBE_KEY, "step": step, "value": step / 7, "wall_time": 0.0}
                           for step in range(sent, sent + 50)])
            sent += 50
            forwarder.flush()
        assert forwarder.flush_until(60), f"{len(forwarder.pending)} points never sent"
        assert forwarder.dropped == 0
    finally:
        forwarder.close()
    return sent


@pytest.mark.redis
def test_a_postgresql_restart_during_ingest_loses_and_duplicates_nothing(
    tmp_path: Path, own_postgres: tuple[str, Restart], redis_url: str
) -> None:
    database_url, restart_postgres = own_postgres
    n_steps = 40 * LOG_INTERVAL
    env = rlboard_env(tmp_path / "data", database_url=database_url, broker_url=redis_url,
                      **LEASE)
    with running_server(env, worker=False, log_path=tmp_path / "api.log") as api, \
            running_worker({**env, "RLBOARD_API_URL": api}, queues="cpu", concurrency=2,
                           name="w1@%h", log_path=tmp_path / "worker.log"), \
            RlboardClient(api) as client:
        run_ids = [run.id for run in
                   client.create_experiment(ppo_spec("faults-pg", n_steps, [0, 1])).runs]
        wait_for(lambda: all(client.get_run(r).steps_done > 0 for r in run_ids), 180,
                 what="both runs to report progress")
        stop = threading.Event()
        probe: dict[str, int] = {}
        reporter = threading.Thread(
            target=lambda: probe.update(sent=report_steadily(api, run_ids[0], stop)))
        reporter.start()
        try:
            wait_for(lambda: client.run_metrics(run_ids[0], PROBE_KEY).steps, 10,
                     what="the reporter's first points")
            # Longer than the API's own retries (7.5 s): some batches are answered 503 and
            # sent again by the reporters. Every connection of the API and the worker dies.
            restart_postgres(10)
            wait_for(lambda: httpx.get(f"{api}/api/v1/health", timeout=5).status_code == 200,
                     30, what="the API to reach the database again")
        finally:
            stop.set()
            reporter.join(90)
        for run_id in run_ids:
            run = wait_finished(client, run_id)
            assert run.status == "succeeded", run.error
            assert len(run.attempts) == 1  # neither requeued nor resumed
            assert_complete_series(api, run_id, n_steps)
    # Counted in the database: every point once, and the series' summary agrees.
    with psycopg.connect(database_url.replace("+psycopg", "")) as connection:
        stored = connection.execute(
            "SELECT count(*), count(DISTINCT step), max(step) FROM metric_points "
            "WHERE run_id = %s AND key = %s", (run_ids[0], PROBE_KEY)).fetchone()
        summary = connection.execute(
            "SELECT count FROM metric_series WHERE run_id = %s AND key = %s",
            (run_ids[0], PROBE_KEY)).fetchone()
    sent = probe["sent"]
    assert sent > 0 and stored == (sent, sent, sent - 1) and summary == (sent,)


@pytest.mark.postgres
def test_runs_queued_in_redis_survive_its_restart_and_each_trains_once(
    tmp_path: Path, postgres_url: str, own_redis: tuple[str, Restart]
) -> None:
    redis_url, restart_redis = own_redis
    n_steps = 4 * LOG_INTERVAL
    env = rlboard_env(tmp_path / "data", database_url=postgres_url, broker_url=redis_url,
                      **LEASE)
    with running_server(env, worker=False, log_path=tmp_path / "api.log") as api, \
            RlboardClient(api) as client:
        queued = client.create_experiment(ppo_spec("faults-redis", n_steps, [0, 1, 2])).runs
        restart_redis(2)  # the messages wait in Redis, no worker has taken them yet
        # The API publishes again after the restart (its broker connection is renewed).
        later = client.create_experiment(ppo_spec("after-restart", n_steps, [0])).runs
        with running_worker({**env, "RLBOARD_API_URL": api}, queues="cpu", concurrency=2,
                            name="w1@%h", log_path=tmp_path / "worker.log"):
            for run in [*queued, *later]:
                finished = wait_finished(client, run.id)
                assert finished.status == "succeeded", finished.error
                assert len(finished.attempts) == 1
                assert_complete_series(api, run.id, n_steps)
