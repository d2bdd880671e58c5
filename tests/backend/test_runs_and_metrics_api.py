"""Runs and metric ingest over HTTP: status, idempotent ingest, validation, downsampling."""

from __future__ import annotations

import json
import math

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.models import MetricSeries
from backend.schemas import MAX_POINTS_PER_BATCH
from tests.backend.factories import create_experiment


def points(key: str, steps_values: list[tuple[int, float]]) -> list[dict]:
    return [
        {"key": key, "step": step, "value": value, "wall_time": step / 100}
        for step, value in steps_values
    ]


def ingest(client: TestClient, run_id: int, batch: list[dict]) -> dict:
    response = client.post(f"/api/v1/runs/{run_id}/metrics", json={"points": batch})
    assert response.status_code == 200, response.text
    return response.json()


def summary(session: Session, run_id: int, key: str) -> tuple:
    session.expire_all()
    series = session.scalars(
        select(MetricSeries).where(MetricSeries.run_id == run_id, MetricSeries.key == key)
    ).one()
    return (
        series.count,
        series.last_step,
        series.last_value,
        series.min_value,
        series.max_value,
    )


@pytest.fixture
def run_id(client: TestClient) -> int:
    return create_experiment(client, seeds=[3])["runs"][0]["id"]


def test_a_run_shows_status_seed_progress_and_timings(client: TestClient, run_id: int) -> None:
    ingest(client, run_id, points("return_mean", [(1024, 9.5)]))
    run = client.get(f"/api/v1/runs/{run_id}").json()
    assert run["id"] == run_id
    assert (run["status"], run["seed"], run["worker"], run["error"]) == ("queued", 3, None, None)
    assert (run["steps_done"], run["steps_total"], run["progress"]) == (1024, 4096, 0.25)
    assert run["created_at"].endswith("Z")
    assert run["started_at"] is run["finished_at"] is run["heartbeat_at"] is None


def test_unknown_runs_are_404(client: TestClient) -> None:
    for response in (
        client.get("/api/v1/runs/999"),
        client.get("/api/v1/runs/999/metrics", params={"key": "loss"}),
        client.post("/api/v1/runs/999/metrics", json={"points": points("loss", [(1, 1.0)])}),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "run 999 not found"}


def test_re_sending_a_batch_stores_nothing_and_changes_no_summary(
    client: TestClient, session: Session, run_id: int
) -> None:
    batch = points("loss", [(100, 3.0), (200, 1.0), (300, 2.0)]) + points(
        "return_mean", [(100, 10.0), (200, 20.0)]
    )
    assert ingest(client, run_id, batch) == {"received": 5, "stored": 5}
    before = summary(session, run_id, "loss")
    assert before == (3, 300, 2.0, 1.0, 3.0)

    assert ingest(client, run_id, batch) == {"received": 5, "stored": 0}
    assert summary(session, run_id, "loss") == before
    assert summary(session, run_id, "return_mean") == (2, 200, 20.0, 10.0, 20.0)
    history = client.get(f"/api/v1/runs/{run_id}/metrics", params={"key": "loss"}).json()
    assert history == {"key": "loss", "steps": [100, 200, 300], "values": [3.0, 1.0, 2.0]}


def test_an_overlapping_batch_adds_only_its_new_points_to_the_summary(
    client: TestClient, session: Session, run_id: int
) -> None:
    ingest(client, run_id, points("loss", [(100, 3.0), (300, 2.0)]))
    # (300, 9.0) repeats a stored step with another value: the stored point stays.
    result = ingest(client, run_id, points("loss", [(200, 0.5), (300, 9.0), (400, 4.0)]))
    assert result == {"received": 3, "stored": 2}
    assert summary(session, run_id, "loss") == (4, 400, 4.0, 0.5, 4.0)
    # Points arriving out of order do not move the last point back.
    ingest(client, run_id, points("loss", [(50, -1.0)]))
    assert summary(session, run_id, "loss") == (5, 400, 4.0, -1.0, 4.0)
    assert client.get(f"/api/v1/runs/{run_id}").json()["steps_done"] == 400


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_values_are_a_422_naming_the_point(
    client: TestClient, run_id: int, bad: float
) -> None:
    batch = points("loss", [(1, 1.0), (2, bad), (3, 3.0)])
    # Python's json writes NaN and Infinity literals, as a careless client would.
    response = client.post(
        f"/api/v1/runs/{run_id}/metrics",
        content=json.dumps({"points": batch}),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["input"]) == (["body", "points", 1, "value"], str(bad))
    history = client.get(f"/api/v1/runs/{run_id}/metrics", params={"key": "loss"}).json()
    assert history["steps"] == []


def test_a_batch_over_the_limit_is_a_422(client: TestClient, run_id: int) -> None:
    batch = points("loss", [(step, 1.0) for step in range(MAX_POINTS_PER_BATCH + 1)])
    response = client.post(f"/api/v1/runs/{run_id}/metrics", json={"points": batch})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "points"]


def test_a_full_batch_is_stored(client: TestClient, run_id: int) -> None:
    batch = points("loss", [(step, float(step)) for step in range(MAX_POINTS_PER_BATCH)])
    assert ingest(client, run_id, batch)["stored"] == MAX_POINTS_PER_BATCH


def test_downsampling_keeps_the_ends_and_the_min_max_envelope(
    client: TestClient, run_id: int
) -> None:
    n = 12_000
    values = [math.sin(step / 300) for step in range(n)]
    values[4321], values[8765] = 50.0, -50.0  # one-point spikes
    for start in range(0, n, MAX_POINTS_PER_BATCH):
        chunk = range(start, min(start + MAX_POINTS_PER_BATCH, n))
        ingest(client, run_id, points("loss", [(step, values[step]) for step in chunk]))

    history = client.get(
        f"/api/v1/runs/{run_id}/metrics", params={"key": "loss", "max_points": 200}
    ).json()
    steps, kept = history["steps"], history["values"]
    assert len(steps) <= 200
    assert steps == sorted(steps)
    assert (steps[0], steps[-1]) == (0, n - 1)
    assert (max(kept), min(kept)) == (50.0, -50.0)
    assert {4321, 8765} <= set(steps)
    assert all(kept[i] == values[step] for i, step in enumerate(steps))

    everything = client.get(
        f"/api/v1/runs/{run_id}/metrics", params={"key": "loss", "max_points": 10_000}
    ).json()
    assert len(everything["steps"]) <= 10_000


def test_an_unknown_key_is_an_empty_series(client: TestClient, run_id: int) -> None:
    history = client.get(f"/api/v1/runs/{run_id}/metrics", params={"key": "nothing"}).json()
    assert history == {"key": "nothing", "steps": [], "values": []}
