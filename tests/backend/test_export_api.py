"""GET /experiments/{id}/export: raw points and the aggregate, as CSV and JSON."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.backend.factories import create_experiment


def ingest(client: TestClient, run_id: int, points: list[tuple[str, int, float, float]]) -> None:
    batch = [{"key": k, "step": s, "value": v, "wall_time": w} for k, s, v, w in points]
    assert client.post(f"/api/v1/runs/{run_id}/metrics", json={"points": batch}).status_code == 200


def export(client: TestClient, experiment_id: int, **params: object) -> str:
    response = client.get(f"/api/v1/experiments/{experiment_id}/export", params=params)
    assert response.status_code == 200, response.text
    return response.text


def test_raw_points(client: TestClient) -> None:
    experiment = create_experiment(client, seeds=[3, 4])
    run_a, run_b = (run["id"] for run in experiment["runs"])
    ingest(client, run_a, [("return_mean", 10, 1.5, 0.25), ("loss", 10, 0.5, 0.25)])
    ingest(client, run_b, [("return_mean", 10, 2.5, 0.5)])

    assert export(client, experiment["id"], key="return_mean") == (
        "run_id,seed,key,step,value,wall_time\n"
        f"{run_a},3,return_mean,10,1.5,0.25\n"
        f"{run_b},4,return_mean,10,2.5,0.5\n"
    )
    rows = json.loads(export(client, experiment["id"], format="json"))
    assert rows == [
        {"run_id": run_a, "seed": 3, "key": "loss", "step": 10, "value": 0.5, "wall_time": 0.25},
        {"run_id": run_a, "seed": 3, "key": "return_mean", "step": 10, "value": 1.5, "wall_time": 0.25},
        {"run_id": run_b, "seed": 4, "key": "return_mean", "step": 10, "value": 2.5, "wall_time": 0.5},
    ]


def test_aggregate_series(client: TestClient) -> None:
    experiment = create_experiment(client, seeds=[0, 1])
    for run, level in zip(experiment["runs"], (1.0, 3.0), strict=True):
        ingest(client, run["id"], [("return_mean", 0, level, 0.0), ("return_mean", 10, level, 1.0)])
    body = export(client, experiment["id"], kind="aggregate", band="minmax", max_points=2)
    assert body == (
        "step,n,mean,min,max,center,lower,upper\n"
        "0,2,2.0,1.0,3.0,2.0,1.0,3.0\n"
        "10,2,2.0,1.0,3.0,2.0,1.0,3.0\n"
    )
    rows = json.loads(export(client, experiment["id"], kind="aggregate", format="json", max_points=2))
    assert rows[1]["step"] == 10 and rows[1]["center"] == 2.0


def test_a_large_export_streams_every_point(client: TestClient) -> None:
    experiment = create_experiment(client, seeds=[0])
    run_id = experiment["runs"][0]["id"]
    for start in range(0, 12_000, 5000):
        ingest(client, run_id, [("return_mean", s, float(s), 0.0) for s in range(start, min(start + 5000, 12_000))])
    with client.stream("GET", f"/api/v1/experiments/{experiment['id']}/export") as response:
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        lines = [line for chunk in response.iter_text() for line in chunk.splitlines()]
    assert len(lines) == 12_001
    assert lines[-1] == f"{run_id},0,return_mean,11999,11999.0,0.0"


def test_export_of_a_missing_experiment(client: TestClient) -> None:
    assert client.get("/api/v1/experiments/999/export").status_code == 404
