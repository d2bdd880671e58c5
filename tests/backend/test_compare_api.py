"""POST /compare: final scores, IQM intervals and probability of improvement, by hand."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.backend.factories import create_experiment


def send(client: TestClient, run_id: int, key: str, values: list[float]) -> None:
    """``values`` at steps 0, 10, 20, ..."""
    batch = [
        {"key": key, "step": 10 * index, "value": value, "wall_time": float(index)}
        for index, value in enumerate(values)
    ]
    response = client.post(f"/api/v1/runs/{run_id}/metrics", json={"points": batch})
    assert response.status_code == 200, response.text


def experiment_with(client: TestClient, finals: list[float], key: str = "return_mean", **spec: object) -> int:
    """An experiment whose seed i logs 0 then ``finals[i]`` twice (last 2 points: finals[i])."""
    experiment = create_experiment(client, seeds=list(range(len(finals))), **spec)
    for run, final in zip(experiment["runs"], finals, strict=True):
        send(client, run["id"], key, [0.0, final, final])
    return experiment["id"]


def compare(client: TestClient, ids: list[int], **body: object) -> dict:
    body = {"experiment_ids": ids, "last_k": 2, "max_points": 3, **body}
    response = client.post("/api/v1/compare", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_scores_iqm_and_a_dominating_experiment(client: TestClient) -> None:
    strong = experiment_with(client, [10.0, 20.0, 30.0, 40.0, 1000.0])
    weak = experiment_with(client, [1.0, 2.0, 3.0])
    body = compare(client, [strong, weak])

    first, second = body["experiments"]
    assert (first["experiment_id"], first["key"], first["n"]) == (strong, "return_mean", 5)
    assert first["scores"] == [10.0, 20.0, 30.0, 40.0, 1000.0]
    assert first["mean"] == 220.0
    assert first["iqm"] == 30.0  # int(0.25 * 5) = 1 cut from each end: mean of 20, 30, 40
    assert 10.0 <= first["iqm_lower"] <= 30.0 <= first["iqm_upper"] <= 1000.0
    assert first["warning"] is None
    assert second["iqm"] == 2.0 and second["std"] == (2 / 3) ** 0.5
    assert "3 of 3 seeds" in second["warning"]

    improvements = {(i["x"], i["y"]): i for i in body["improvements"]}
    assert set(improvements) == {(strong, weak), (weak, strong)}
    assert (improvements[strong, weak]["probability"], improvements[strong, weak]["lower"]) == (1.0, 1.0)
    assert (improvements[weak, strong]["probability"], improvements[weak, strong]["upper"]) == (0.0, 0.0)

    # The IQM curves share one grid of max_points=3: steps 0, 10, 20.
    assert first["curve"]["steps"] == second["curve"]["steps"] == [0, 10, 20]
    assert second["curve"]["center"] == [0.0, 2.0, 2.0]


def test_equal_seeds_collapse_the_interval_and_tie(client: TestClient) -> None:
    a, b = experiment_with(client, [5.0] * 3), experiment_with(client, [5.0] * 3)
    body = compare(client, [a, b])
    assert [(e["iqm"], e["iqm_lower"], e["iqm_upper"]) for e in body["experiments"]] == [(5.0, 5.0, 5.0)] * 2
    assert [i["probability"] for i in body["improvements"]] == [0.5, 0.5]
    assert body["experiments"][0]["curve"]["lower"] == body["experiments"][0]["curve"]["upper"] == [0.0, 5.0, 5.0]


def test_the_same_request_gives_the_same_intervals(client: TestClient) -> None:
    ids = [experiment_with(client, [1.0, 5.0, 2.0, 8.0]), experiment_with(client, [3.0, 4.0, 6.0])]
    assert compare(client, ids) == compare(client, ids)


def test_eval_scores_when_logged_else_training_returns(client: TestClient) -> None:
    evaluated = experiment_with(client, [7.0, 7.0], key="eval_return_mean")
    trained = experiment_with(client, [3.0, 3.0])
    first, second = compare(client, [evaluated, trained])["experiments"]
    assert (first["key"], first["iqm"], second["key"], second["iqm"]) == (
        "eval_return_mean", 7.0, "return_mean", 3.0,
    )
    explicit = compare(client, [evaluated, trained], key="return_mean")["experiments"]
    assert [(e["key"], e["n"]) for e in explicit] == [("return_mean", 0), ("return_mean", 2)]


def test_different_environments_have_no_probability_of_improvement(client: TestClient) -> None:
    cartpole = experiment_with(client, [1.0, 2.0])
    acrobot = experiment_with(client, [1.0, 2.0], env={"id": "Acrobot-v1"})
    body = compare(client, [cartpole, acrobot])
    assert [i["probability"] for i in body["improvements"]] == [None, None]


def test_bad_requests(client: TestClient) -> None:
    known = experiment_with(client, [1.0])
    missing = client.post("/api/v1/compare", json={"experiment_ids": [known, 999]})
    assert (missing.status_code, missing.json()) == (404, {"detail": "experiment 999 not found"})
    for ids in ([known], [known, known]):
        response = client.post("/api/v1/compare", json={"experiment_ids": ids})
        assert response.status_code == 422, response.text
    assert "duplicate" in client.post("/api/v1/compare", json={"experiment_ids": [known, known]}).text
