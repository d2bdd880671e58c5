"""The aggregate line (mean, median, IQM) and its band (bootstrap CI, std, min/max), by hand."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.models import Run
from tests.backend.factories import create_experiment
from tests.backend.test_curves_api import curves, send

# Four seeds, each constant over steps 0 and 10.
LEVELS = [1.0, 2.0, 4.0, 100.0]


def constant_seeds(client: TestClient, levels: list[float]) -> int:
    experiment = create_experiment(client, seeds=list(range(len(levels))))
    for run, level in zip(experiment["runs"], levels, strict=True):
        send(client, run["id"], [(0, level), (10, level)])
    return experiment["id"]


@pytest.mark.parametrize(
    ("agg", "center"),
    [("mean", 26.75), ("median", 3.0), ("iqm", 3.0)],  # IQM: mean of 2 and 4
)
def test_the_aggregate_line(client: TestClient, agg: str, center: float) -> None:
    body = curves(client, constant_seeds(client, LEVELS), max_points=3, agg=agg, band="minmax")
    assert (body["agg"], body["band"], body["x"]) == (agg, "minmax", "step")
    aggregate = body["aggregate"]
    assert aggregate["steps"] == [0, 5, 10]
    assert aggregate["center"] == [center] * 3
    assert aggregate["mean"] == [26.75] * 3  # the dashboard's line, whatever agg is
    assert (aggregate["lower"], aggregate["upper"]) == ([1.0] * 3, [100.0] * 3)


def test_std_band_is_the_center_plus_minus_the_population_std(client: TestClient) -> None:
    # Levels 1 and 3: mean 2, std 1.
    body = curves(client, constant_seeds(client, [1.0, 3.0]), max_points=2, band="std")
    assert body["aggregate"]["lower"] == [1.0, 1.0]
    assert body["aggregate"]["upper"] == [3.0, 3.0]


def test_the_bootstrap_band_collapses_when_every_seed_agrees(client: TestClient) -> None:
    body = curves(client, constant_seeds(client, [5.0, 5.0, 5.0]), max_points=2, agg="iqm")
    aggregate = body["aggregate"]
    assert body["band"] == "ci"  # the default
    assert aggregate["center"] == aggregate["lower"] == aggregate["upper"] == [5.0, 5.0]


def test_the_bootstrap_band_is_reproducible_and_inside_the_seeds(client: TestClient) -> None:
    experiment_id = constant_seeds(client, LEVELS)
    first = curves(client, experiment_id, max_points=2, agg="iqm", band="ci")["aggregate"]
    again = curves(client, experiment_id, max_points=2, agg="iqm", band="ci")["aggregate"]
    assert (first["lower"], first["upper"]) == (again["lower"], again["upper"])
    # Resampled IQMs of four seeds stay within [1, 100]; the interval is not a point.
    assert 1.0 <= first["lower"][0] < first["center"][0] < first["upper"][0] <= 100.0


def test_x_by_wall_time(client: TestClient) -> None:
    experiment = create_experiment(client, seeds=[0, 1])
    for run, seconds in zip(experiment["runs"], (2.0, 4.0), strict=True):
        batch = [
            {"key": "return_mean", "step": 100, "value": 0.0, "wall_time": 0.0},
            {"key": "return_mean", "step": 200, "value": 8.0, "wall_time": seconds},
        ]
        client.post(f"/api/v1/runs/{run['id']}/metrics", json={"points": batch})

    body = curves(client, experiment["id"], max_points=3, x="wall_time", band="minmax")
    # Grid 0, 2, 4 s. At 2 s the first seed is at 8, the second halfway (4); at 4 s only one.
    assert body["aggregate"]["steps"] == [0.0, 2.0, 4.0]
    assert body["aggregate"]["center"] == [0.0, 6.0, 8.0]
    assert body["aggregate"]["n"] == [2, 2, 1]
    assert body["runs"][1]["wall_times"] == [0.0, 4.0]
    assert body["runs"][1]["steps"] == [100, 200]


def test_group_by_variant(client: TestClient, session: Session) -> None:
    experiment_id = constant_seeds(client, LEVELS)
    runs = session.query(Run).filter_by(experiment_id=experiment_id).order_by(Run.id).all()
    for run, lr in zip(runs, (0.1, 0.1, 0.2, 0.2), strict=True):
        run.variant = {"algo.params.learning_rate": lr}
    session.commit()

    body = curves(client, experiment_id, max_points=2, agg="mean", band="minmax", group_by="variant")
    assert [
        (group["variant"], group["run_ids"], group["aggregate"]["center"])
        for group in body["groups"]
    ] == [
        ({"algo.params.learning_rate": 0.1}, [runs[0].id, runs[1].id], [1.5, 1.5]),
        ({"algo.params.learning_rate": 0.2}, [runs[2].id, runs[3].id], [52.0, 52.0]),
    ]
    assert body["aggregate"]["center"] == [26.75, 26.75]
    assert curves(client, experiment_id, max_points=2)["groups"] is None
