"""Long series are bucketed in the database: the drawn curves keep their envelope, and the
seed aggregate is exactly the one of the full series."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.services import curves as curves_service
from backend.services import metrics
from tests.backend.factories import create_experiment
from tests.backend.test_curves_api import curves


def irregular_series(rng: np.random.Generator, first: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Unevenly spaced steps and noisy values with ties and one spike each way."""
    steps = first + np.cumsum(rng.integers(1, 40, size=n))
    values = np.round(rng.normal(0, 3, size=n)) + np.linspace(0, 50, n)  # many equal values
    values[n // 3], values[2 * n // 3] = 1e6, -1e6
    return steps, values


def store(client: TestClient, run_id: int, steps: np.ndarray, values: np.ndarray) -> None:
    for start in range(0, len(steps), 1000):
        batch = [
            {"key": "return_mean", "step": int(step), "value": float(value), "wall_time": 0.0}
            for step, value in zip(steps[start : start + 1000], values[start : start + 1000], strict=True)
        ]
        response = client.post(f"/api/v1/runs/{run_id}/metrics", json={"points": batch})
        assert response.status_code == 200, response.text


def test_long_series_keep_their_envelope_and_an_exact_aggregate(
    client: TestClient, session: Session
) -> None:
    rng = np.random.default_rng(1)
    experiment = create_experiment(client, seeds=[0, 1, 2, 3])
    run_ids = [run["id"] for run in experiment["runs"]]
    stored = {
        run_ids[0]: irregular_series(rng, 0, 3000),
        run_ids[1]: irregular_series(rng, 5000, 2500),
        run_ids[2]: (np.array([100, 40_000]), np.array([1.0, 2.0])),  # short: sent whole
    }
    for run_id, (steps, values) in stored.items():
        store(client, run_id, steps, values)

    for max_points, agg, band in ((50, "mean", "ci"), (333, "iqm", "std"), (1000, "median", "minmax")):
        body = curves(client, experiment["id"], max_points=max_points, agg=agg, band=band)
        # The reference: every point loaded, as the aggregate was computed before bucketing.
        loaded = metrics.load_series(session, run_ids, "return_mean")
        observed = {run_id: s for run_id, s in loaded.items() if len(s.steps)}
        grid = curves_service.common_grid([s.steps for s in observed.values()], "step", max_points)
        on_grid = curves_service.align(list(observed.values()), "step", grid)
        expected = curves_service.aggregate_curve(grid, on_grid, agg, band)
        assert body["aggregate"] == expected.model_dump()

        for run in body["runs"]:
            if run["run_id"] not in stored:
                assert run["steps"] == []
                continue
            steps, values = stored[run["run_id"]]
            assert len(run["steps"]) <= max_points
            assert run["steps"] == sorted(set(run["steps"]))
            assert (run["steps"][0], run["steps"][-1]) == (steps[0], steps[-1])
            assert (min(run["values"]), max(run["values"])) == (values.min(), values.max())
            by_step = dict(zip(steps.tolist(), values.tolist(), strict=True))
            assert all(by_step[s] == v for s, v in zip(run["steps"], run["values"], strict=True))


def test_database_buckets_equal_the_numpy_buckets(client: TestClient, session: Session) -> None:
    rng = np.random.default_rng(2)
    experiment = create_experiment(client, seeds=[0, 1])
    run_ids = [run["id"] for run in experiment["runs"]]
    for offset, run_id in enumerate(run_ids):
        store(client, run_id, *irregular_series(rng, 1000 * offset, 2000))
    edges = metrics.step_grid(0, 60_000, 97)
    from_database = metrics.bucket_extremes(session, run_ids, "return_mean", edges)
    loaded = metrics.load_series(session, run_ids, "return_mean")
    for run_id in run_ids:
        expected = metrics.extremes_of(loaded[run_id], edges)
        for got, want in zip(from_database[run_id], expected, strict=True):
            np.testing.assert_array_equal(got, want)


def test_a_long_run_history_is_bucketed_with_its_spikes(client: TestClient) -> None:
    rng = np.random.default_rng(3)
    run_id = create_experiment(client, seeds=[0])["runs"][0]["id"]
    steps, values = irregular_series(rng, 7, 4000)
    store(client, run_id, steps, values)
    history = client.get(
        f"/api/v1/runs/{run_id}/metrics", params={"key": "return_mean", "max_points": 101}
    ).json()
    assert len(history["steps"]) <= 101
    assert (history["steps"][0], history["steps"][-1]) == (steps[0], steps[-1])
    assert (min(history["values"]), max(history["values"])) == (-1e6, 1e6)
