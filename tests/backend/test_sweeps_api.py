"""Sweeps: one POST makes a run per (variant, seed), each with its own resolved spec."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.backend.factories import ppo_spec

SWEEP = {"algo.params.learning_rate": [1e-3, 3e-4], "sampler.batch_B": [8, 16]}


def post(client: TestClient, sweep: dict, **spec: object) -> tuple[int, dict]:
    response = client.post("/api/v1/experiments", json={"spec": ppo_spec(**spec), "sweep": sweep})
    return response.status_code, response.json()


def test_a_sweep_makes_every_variant_times_every_seed(client: TestClient) -> None:
    status, experiment = post(client, SWEEP, seeds=[0, 1])
    assert status == 201, experiment
    assert experiment["sweep"] == SWEEP
    runs = experiment["runs"]
    assert len(runs) == 4 * 2
    expected = [
        ({"algo.params.learning_rate": lr, "sampler.batch_B": b}, seed)
        for lr in (1e-3, 3e-4) for b in (8, 16) for seed in (0, 1)
    ]
    assert [(run["variant"], run["seed"]) for run in runs] == expected
    assert all(run["task_id"] and run["status"] == "queued" for run in runs)

    for run in runs:
        spec = client.get(f"/api/v1/runs/{run['id']}").json()["spec"]
        assert spec["algo"]["params"]["learning_rate"] == run["variant"]["algo.params.learning_rate"]
        assert spec["sampler"]["batch_B"] == run["variant"]["sampler.batch_B"]
        assert spec["algo"]["params"]["discount"] == 0.99  # resolved
        assert spec["seeds"] == [run["seed"]]
    # The experiment keeps the base spec.
    assert experiment["spec"]["algo"]["params"]["learning_rate"] == 0.0005


def test_swept_steps_and_device_shape_each_run(client: TestClient) -> None:
    status, experiment = post(
        client, {"runner.n_steps": [2048, 8192], "device": ["cpu", "cuda"]}, seeds=[0]
    )
    assert status == 201, experiment
    assert [(r["steps_total"], r["queue"]) for r in experiment["runs"]] == [
        (2048, "cpu"), (2048, "gpu"), (8192, "cpu"), (8192, "gpu")
    ]
    assert experiment["steps_total"] == 2 * (2048 + 8192)


@pytest.mark.parametrize(
    ("sweep", "loc", "words"),
    [
        ({"algo.params.lr": [0.1]}, ["body", "sweep", "algo.params.lr"], "unknown spec path"),
        ({"algo.params.learning_rate": [0.1, -1]},
         ["body", "sweep", "algo.params.learning_rate"], "greater than 0"),
        ({"sampler.batch_B": []}, ["body", "sweep", "sampler.batch_B"], "at least 1"),
        ({"sampler.batch_B": [8, 8]}, ["body", "sweep", "sampler.batch_B"], "repeated"),
        ({"seeds": [[0], [1]]}, ["body", "sweep", "seeds"], "spec.seeds"),
        ({"algo.params.epochs": list(range(1, 21)), "sampler.batch_B": list(range(1, 21)),
          "sampler.batch_T": [64, 128]},
         ["body", "sweep"], "makes 2400 runs"),
    ],
    ids=["unknown-path", "invalid-value", "empty-list", "repeated", "seeds", "too-big"],
)
def test_a_bad_sweep_is_a_422_naming_the_field_and_writes_nothing(
    client: TestClient, sweep: dict, loc: list[str], words: str
) -> None:
    status, body = post(client, sweep, seeds=[0, 1, 2])
    assert status == 422, body
    [error] = body["detail"]
    assert error["loc"] == loc
    assert words in error["msg"]
    assert client.get("/api/v1/experiments").json()["total"] == 0


def test_a_clone_keeps_the_sweep_except_the_paths_it_fixes(client: TestClient) -> None:
    _, source = post(client, SWEEP, seeds=[0])
    response = client.post(f"/api/v1/experiments/{source['id']}/clone",
                           json={"changes": {"sampler.batch_B": 32}})
    assert response.status_code == 201, response.text
    clone = response.json()
    assert clone["sweep"] == {"algo.params.learning_rate": [1e-3, 3e-4]}
    assert [run["variant"] for run in clone["runs"]] == [
        {"algo.params.learning_rate": 1e-3}, {"algo.params.learning_rate": 3e-4}
    ]
    assert clone["spec"]["sampler"]["batch_B"] == 32
