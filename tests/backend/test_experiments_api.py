"""Health, catalog and experiments over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.main import create_app
from backend.models import RUN_STATUSES
from backend.settings import Settings
from tests.backend.factories import create_experiment, ppo_spec


def test_health_reports_database_and_broker(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["version"]


def test_health_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/nothing",
        frontend_dir=tmp_path / "no-dashboard",
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["database"].startswith("error: ")


def test_catalog_describes_what_the_form_offers(client: TestClient) -> None:
    catalog = client.get("/api/v1/catalog").json()
    ppo = next(algo for algo in catalog["algorithms"] if algo["name"] == "PPO")
    assert ppo["family"] == "pg"
    assert ppo["defaults"]["discount"] == 0.99
    assert "learning_rate" in ppo["params_schema"]["properties"]
    assert catalog["samplers"] == ["serial", "cpu", "gpu", "alternating"]
    assert {"minibatch", "minibatch_eval"} <= set(catalog["runners"])
    assert {"CartPole-v1", "Acrobot-v1", "MountainCar-v0", "Pendulum-v1"} <= set(
        catalog["environments"]
    )
    assert catalog["environments"] == sorted(catalog["environments"])
    assert set(catalog["spec_schema"]["required"]) == {"env", "algo"}


def test_create_stores_the_resolved_spec_and_enqueues_one_run_per_seed(client: TestClient) -> None:
    response = client.post(
        "/api/v1/experiments",
        json={"spec": ppo_spec(), "tags": ["baseline", "cartpole"], "notes": "first try"},
    )
    assert response.status_code == 201, response.text
    experiment = response.json()
    assert experiment["name"] == "ppo-cartpole"
    assert (experiment["env_id"], experiment["algo"]) == ("CartPole-v1", "PPO")
    assert experiment["tags"] == ["baseline", "cartpole"]
    assert experiment["notes"] == "first try"
    # Resolved: the given value, and every default filled in.
    assert experiment["spec"]["algo"]["params"]["learning_rate"] == 0.0005
    assert experiment["spec"]["algo"]["params"]["discount"] == 0.99
    assert experiment["spec"]["sampler"]["batch_T"] == 128
    assert experiment["status_counts"] == {status: 0 for status in RUN_STATUSES} | {"queued": 3}
    assert (experiment["steps_done"], experiment["steps_total"]) == (0, 3 * 4096)

    runs = experiment["runs"]
    assert [run["seed"] for run in runs] == [0, 1, 2]
    for run in runs:
        assert run["status"] == "queued"
        assert run["queue"] == "cpu"
        assert run["task_id"]  # sent to the embedded broker
        assert (run["steps_done"], run["steps_total"], run["progress"]) == (0, 4096, 0.0)
        assert run["experiment_id"] == experiment["id"]

    assert client.get(f"/api/v1/experiments/{experiment['id']}").json() == experiment


def test_a_cuda_spec_goes_to_the_gpu_queue(client: TestClient) -> None:
    experiment = create_experiment(client, device="cuda", seeds=[7])
    assert [run["queue"] for run in experiment["runs"]] == ["gpu"]


@pytest.mark.parametrize(
    ("overrides", "loc", "bad_value"),
    [
        ({"env": {"id": "NoSuchEnv-v0"}}, ["body", "spec", "env", "id"], "NoSuchEnv-v0"),
        ({"algo": {"name": "NoSuchAlgo"}}, ["body", "spec", "algo"], "NoSuchAlgo"),
        ({"runner": {"n_steps": -5}}, ["body", "spec", "runner", "n_steps"], "-5"),
    ],
    ids=["unknown-env", "unknown-algorithm", "negative-steps"],
)
def test_a_bad_spec_is_a_422_naming_the_field_and_writes_nothing(
    client: TestClient, overrides: dict, loc: list[str], bad_value: str
) -> None:
    response = client.post("/api/v1/experiments", json={"spec": ppo_spec(**overrides)})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [error["loc"] for error in errors] == [loc]
    assert bad_value in str(errors[0]["input"]) + errors[0]["msg"]
    assert client.get("/api/v1/experiments").json() == {"items": [], "total": 0}


def test_the_list_is_newest_first_paginated_and_summarises_runs(client: TestClient) -> None:
    created = [create_experiment(client, name=f"e{i}", seeds=[0, 1]) for i in range(3)]
    first_run = created[0]["runs"][0]["id"]
    client.post(
        f"/api/v1/runs/{first_run}/metrics",
        json={"points": [{"key": "loss", "step": 1024, "value": 1.0, "wall_time": 1.0}]},
    )

    page = client.get("/api/v1/experiments", params={"limit": 2}).json()
    assert page["total"] == 3
    assert [item["name"] for item in page["items"]] == ["e2", "e1"]
    assert "runs" not in page["items"][0] and "spec" not in page["items"][0]

    rest = client.get("/api/v1/experiments", params={"limit": 2, "offset": 2}).json()
    [oldest] = rest["items"]
    assert oldest["name"] == "e0"
    assert oldest["status_counts"]["queued"] == 2
    assert (oldest["steps_done"], oldest["steps_total"]) == (1024, 2 * 4096)
    assert oldest["progress"] == pytest.approx(1024 / 8192)


def test_unknown_experiments_are_404_with_a_clear_detail(client: TestClient) -> None:
    for path in ("/api/v1/experiments/999", "/api/v1/experiments/999/curves"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "experiment 999 not found"}


def test_runs_that_cannot_be_enqueued_are_failed_and_the_answer_is_503(
    settings: Settings,
) -> None:
    # Nothing listens on port 1: the broker is down, the database is fine.
    broker_down = settings.model_copy(update={"broker_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(broker_down)) as client:
        response = client.post("/api/v1/experiments", json={"spec": ppo_spec(seeds=[0, 1])})
        assert response.status_code == 503
        detail = response.json()["detail"]
        assert "is stored" in detail and "could not be enqueued" in detail

        [stored] = client.get("/api/v1/experiments").json()["items"]
        runs = client.get(f"/api/v1/experiments/{stored['id']}").json()["runs"]
        assert len(runs) == 2
        for run in runs:
            assert run["status"] == "failed"
            assert run["error"].startswith("could not enqueue: ")
            assert run["finished_at"] is not None
