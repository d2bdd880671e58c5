"""Learning curves of an experiment: per-seed series and the aggregate, checked by hand."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.backend.factories import create_experiment


def send(client: TestClient, run_id: int, steps_values: list[tuple[int, float]]) -> None:
    batch = [
        {"key": "return_mean", "step": step, "value": value, "wall_time": 0.0}
        for step, value in steps_values
    ]
    response = client.post(f"/api/v1/runs/{run_id}/metrics", json={"points": batch})
    assert response.status_code == 200, response.text


def curves(client: TestClient, experiment_id: int, max_points: int, **params: object) -> dict:
    response = client.get(
        f"/api/v1/experiments/{experiment_id}/curves",
        params={"key": "return_mean", "max_points": max_points, **params},
    )
    assert response.status_code == 200, response.text
    return response.json()


RUN_FIELDS = ("run_id", "seed", "status", "steps", "values")


def legacy(aggregate: dict) -> dict:
    """The aggregate fields the dashboard has always read."""
    return {key: aggregate[key] for key in ("steps", "mean", "min", "max", "n")}


def test_two_seeds_aggregate_on_a_common_grid(client: TestClient) -> None:
    experiment = create_experiment(client, seeds=[0, 1, 2])
    run_a, run_b, run_silent = (run["id"] for run in experiment["runs"])
    send(client, run_a, [(0, 0.0), (10, 10.0), (20, 20.0)])
    send(client, run_b, [(10, 5.0), (20, 5.0), (30, 35.0)])

    # Grid 0, 5, ..., 30. A covers 0..20, B covers 10..30; each is interpolated only there.
    # At 5: A=5.  At 15: A=15, B=5.  At 25: B=20.
    body = curves(client, experiment["id"], max_points=7)
    assert body["key"] == "return_mean"
    assert [{key: run[key] for key in RUN_FIELDS} for run in body["runs"]] == [
        {
            "run_id": run_a,
            "seed": 0,
            "status": "queued",
            "steps": [0, 10, 20],
            "values": [0.0, 10.0, 20.0],
        },
        {
            "run_id": run_b,
            "seed": 1,
            "status": "queued",
            "steps": [10, 20, 30],
            "values": [5.0, 5.0, 35.0],
        },
        {"run_id": run_silent, "seed": 2, "status": "queued", "steps": [], "values": []},
    ]
    assert legacy(body["aggregate"]) == {
        "steps": [0, 5, 10, 15, 20, 25, 30],
        "mean": [0.0, 5.0, 7.5, 10.0, 12.5, 20.0, 35.0],
        "min": [0.0, 5.0, 5.0, 5.0, 5.0, 20.0, 35.0],
        "max": [0.0, 5.0, 10.0, 15.0, 20.0, 20.0, 35.0],
        "n": [1, 1, 2, 2, 2, 1, 1],
    }


def test_grid_steps_no_seed_covers_are_null(client: TestClient) -> None:
    experiment = create_experiment(client, seeds=[0, 1])
    run_a, run_b = (run["id"] for run in experiment["runs"])
    send(client, run_a, [(0, 1.0), (10, 3.0)])
    send(client, run_b, [(20, 7.0), (30, 9.0)])

    aggregate = curves(client, experiment["id"], max_points=4)["aggregate"]
    assert legacy(aggregate) == {
        "steps": [0, 10, 20, 30],
        "mean": [1.0, 3.0, 7.0, 9.0],
        "min": [1.0, 3.0, 7.0, 9.0],
        "max": [1.0, 3.0, 7.0, 9.0],
        "n": [1, 1, 1, 1],
    }
    gap = curves(client, experiment["id"], max_points=7)["aggregate"]
    assert gap["steps"][3] == 15
    assert (gap["n"][3], gap["mean"][3], gap["min"][3], gap["max"][3]) == (0, None, None, None)


def test_an_experiment_without_points_has_empty_curves(client: TestClient) -> None:
    experiment = create_experiment(client, seeds=[0])
    body = curves(client, experiment["id"], max_points=500)
    assert [run["steps"] for run in body["runs"]] == [[]]
    assert body["aggregate"] == {
        "steps": [], "mean": [], "min": [], "max": [], "n": [], "center": [], "lower": [], "upper": []
    }


def test_the_grid_never_exceeds_max_points(client: TestClient) -> None:
    experiment = create_experiment(client, seeds=[0])
    send(client, experiment["runs"][0]["id"], [(step * 7, float(step)) for step in range(1000)])
    body = curves(client, experiment["id"], max_points=50)
    assert len(body["aggregate"]["steps"]) == 50
    assert len(body["runs"][0]["steps"]) <= 50
    assert (body["aggregate"]["steps"][0], body["aggregate"]["steps"][-1]) == (0, 6993)
