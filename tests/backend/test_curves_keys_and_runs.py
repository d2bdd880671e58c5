"""What the dashboard reads beside the curves: the metric keys an experiment has logged, each
run's last stored point (not the downsampled one) and the device of its latest attempt."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.schemas import Provenance
from backend.services import runs
from tests.backend.factories import create_experiment
from tests.backend.test_metric_blocks import post


def test_keys_are_every_key_its_runs_logged(client: TestClient) -> None:
    experiment = create_experiment(client, seeds=[0, 1, 2])
    first, second, _ = (run["id"] for run in experiment["runs"])
    other = create_experiment(client, seeds=[0])["runs"][0]["id"]
    steps, values = np.arange(3), np.zeros(3)
    for run_id, key in ((first, "return_mean"), (first, "loss"), (second, "loss"),
                        (second, "entropy"), (other, "q_loss")):
        post(client, run_id, key, steps, values)

    response = client.get(f"/api/v1/experiments/{experiment['id']}/keys")
    assert response.status_code == 200, response.text
    assert response.json() == {"keys": ["entropy", "loss", "return_mean"]}
    fresh = create_experiment(client, seeds=[0])
    assert client.get(f"/api/v1/experiments/{fresh['id']}/keys").json() == {"keys": []}
    assert client.get("/api/v1/experiments/999999/keys").status_code == 404


def test_each_run_curve_has_its_last_stored_point(client: TestClient) -> None:
    experiment = create_experiment(client, seeds=[0, 1, 2])
    long, late, silent = (run["id"] for run in experiment["runs"])
    rng = np.random.default_rng(0)
    steps = np.arange(1, 20_001) * 10
    values = rng.normal(size=len(steps))
    for start in range(0, len(steps), 5000):
        post(client, long, "return_mean", steps[start : start + 5000], values[start : start + 5000])
    # Sent last, but not the last step: the last point is the one with the largest step.
    post(client, late, "return_mean", np.array([10, 30]), np.array([1.0, 3.0]))
    post(client, late, "return_mean", np.array([20]), np.array([2.0]))

    for x in ("step", "wall_time"):
        body = client.get(
            f"/api/v1/experiments/{experiment['id']}/curves",
            params={"key": "return_mean", "max_points": 100, "x": x},
        ).json()
        by_run = {run["run_id"]: run for run in body["runs"]}
        assert len(by_run[long]["steps"]) <= 100
        assert (by_run[long]["last_step"], by_run[long]["last_value"]) == (
            int(steps[-1]), float(values[-1])
        )
        assert (by_run[late]["last_step"], by_run[late]["last_value"]) == (30, 3.0)
        assert by_run[silent]["last_step"] is by_run[silent]["last_value"] is None


def test_runs_in_the_detail_carry_their_latest_device(
    client: TestClient, session: Session
) -> None:
    experiment = create_experiment(client, seeds=[0, 1])
    started, queued = (run["id"] for run in experiment["runs"])
    assert [run["device"] for run in experiment["runs"]] == [None, None]
    runs.claim_run(session, started, "w1@host")
    runs.record_provenance(
        session,
        started,
        Provenance(rlboard_version="0.1.0", git_commit=None, packages=None, device="cuda:1",
                   host="h1"),
    )

    detail = client.get(f"/api/v1/experiments/{experiment['id']}").json()
    assert {run["id"]: run["device"] for run in detail["runs"]} == {started: "cuda:1", queued: None}
    assert client.get(f"/api/v1/runs/{started}").json()["device"] == "cuda:1"

    # A retry's new attempt has not started anywhere yet.
    runs.finish_run(session, started, "failed", "boom")
    assert client.post(f"/api/v1/runs/{started}/retry").json()["device"] is None
