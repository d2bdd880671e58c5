"""GET /events: server-sent run and metrics events, read through the streaming TestClient."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi.testclient import TestClient

from tests.backend.factories import create_experiment


def read_events(lines: Iterator[str]) -> Iterator[tuple[str, dict]]:
    """(event name, data) for each event of an SSE stream; comments are skipped."""
    name = None
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, json.loads(line.removeprefix("data: "))


def test_run_and_metrics_events_after_an_ingest(client: TestClient) -> None:
    experiment = create_experiment(client, seeds=[0, 1])
    run_a, run_b = (run["id"] for run in experiment["runs"])
    before = [{"key": "return_mean", "step": 5, "value": 1.0, "wall_time": 0.1}]
    client.post(f"/api/v1/runs/{run_a}/metrics", json={"points": before})

    params = {"experiment_id": experiment["id"]}
    with client.stream("GET", "/api/v1/events", params=params) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_events(response.iter_lines())
        # On connect: every run's state, and no history.
        assert [(name, data["id"]) for name, data in (next(events), next(events))] == [
            ("run", run_a), ("run", run_b),
        ]
        points = [
            {"key": "return_mean", "step": step, "value": step / 10, "wall_time": 1.0}
            for step in (10, 20)
        ]
        client.post(f"/api/v1/runs/{run_a}/metrics", json={"points": points})
        progress, metrics = next(events), next(events)

    assert progress[0] == "run"
    assert (progress[1]["id"], progress[1]["steps_done"]) == (run_a, 20)
    assert metrics == (
        "metrics",
        {"run_id": run_a, "key": "return_mean", "steps": [10, 20], "values": [1.0, 2.0],
         "wall_times": [1.0, 1.0]},
    )


def test_events_of_a_missing_experiment(client: TestClient) -> None:
    assert client.get("/api/v1/events", params={"experiment_id": 999}).status_code == 404
