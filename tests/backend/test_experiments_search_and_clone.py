"""Experiments: search, filters, pagination, editing tags and notes, cloning with changes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.services import runs
from tests.backend.factories import ppo_spec


def create(client: TestClient, name: str, tags: list[str], notes: str = "", **spec: object) -> int:
    body = {"spec": ppo_spec(name=name, seeds=[0], **spec), "tags": tags, "notes": notes}
    response = client.post("/api/v1/experiments", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def names(client: TestClient, **params: object) -> list[str]:
    response = client.get("/api/v1/experiments", params=params)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


@pytest.fixture
def catalog(client: TestClient) -> dict[str, int]:
    return {
        "cartpole": create(client, "cartpole-lr", ["baseline", "lr"], "Tuning the Rate"),
        "acrobot": create(client, "acro", ["ablation"], "100% sure", env={"id": "Acrobot-v1"}),
        "plain": create(client, "plain", ["baseline_2"]),
    }


def test_search_covers_name_env_algorithm_tags_and_notes(
    client: TestClient, catalog: dict[str, int]
) -> None:
    assert names(client, q="POLE-L") == ["cartpole-lr"]  # name, case-insensitive
    assert names(client, q="acrobot") == ["acro"]  # env id
    assert names(client, q="ppo") == ["plain", "acro", "cartpole-lr"]  # algorithm
    assert names(client, q="ablat") == ["acro"]  # tag
    assert names(client, q="the rate") == ["cartpole-lr"]  # notes
    assert names(client, q="100%") == ["acro"]  # LIKE wildcards are literal
    assert names(client, q="_2") == ["plain"]
    assert names(client, q="nothing like it") == []


def test_filters_combine_and_count_the_matches(
    client: TestClient, catalog: dict[str, int], session: Session
) -> None:
    assert names(client, tag="baseline") == ["cartpole-lr"]  # a whole tag, not a prefix
    assert names(client, env="Acrobot-v1") == ["acro"]
    assert names(client, algo="PPO", tag="ablation") == ["acro"]
    assert names(client, algo="DQN") == []

    [run_id] = [r["id"] for r in client.get(f"/api/v1/experiments/{catalog['plain']}").json()["runs"]]
    runs.claim_run(session, run_id, "w@host")
    assert names(client, status="running") == ["plain"]
    assert names(client, status="queued") == ["acro", "cartpole-lr"]
    page = client.get("/api/v1/experiments", params={"status": "queued", "limit": 1, "offset": 1})
    assert (page.json()["total"], [i["name"] for i in page.json()["items"]]) == (2, ["cartpole-lr"])


def test_bad_list_parameters_are_422_naming_them(client: TestClient) -> None:
    for params, field in (({"status": "sleeping"}, "status"), ({"limit": 0}, "limit"),
                          ({"offset": -1}, "offset")):
        response = client.get("/api/v1/experiments", params=params)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", field]


def test_patch_replaces_tags_and_notes_and_keeps_what_is_left_out(
    client: TestClient, catalog: dict[str, int]
) -> None:
    url = f"/api/v1/experiments/{catalog['plain']}"
    response = client.patch(url, json={"tags": ["keep", "best"]})
    assert response.status_code == 200, response.text
    assert (response.json()["tags"], response.json()["notes"]) == (["keep", "best"], "")
    body = client.patch(url, json={"notes": "works"}).json()
    assert (body["tags"], body["notes"]) == (["keep", "best"], "works")
    assert client.get(url).json() == body

    response = client.patch(url, json={"tags": [""], "owner": "me"})
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == {
        ("body", "tags", 0), ("body", "owner")
    }
    assert client.patch("/api/v1/experiments/999", json={"notes": "x"}).status_code == 404


def test_clone_applies_dotted_changes_to_the_resolved_spec(
    client: TestClient, catalog: dict[str, int]
) -> None:
    response = client.post(
        f"/api/v1/experiments/{catalog['cartpole']}/clone",
        json={"changes": {"algo.params.learning_rate": 0.0003, "seeds": [4, 5],
                          "sampler": {"batch_B": 4}},
              "name": "cartpole-lr-3e-4"},
    )
    assert response.status_code == 201, response.text
    clone = response.json()
    assert clone["id"] not in catalog.values()
    assert clone["name"] == "cartpole-lr-3e-4"
    assert clone["tags"] == ["baseline", "lr"]
    spec = clone["spec"]
    assert spec["algo"]["params"]["learning_rate"] == 0.0003
    assert spec["algo"]["params"]["discount"] == 0.99
    # A whole section replaced: re-validated, so its defaults come back.
    assert (spec["sampler"]["batch_B"], spec["sampler"]["batch_T"]) == (4, 128)
    assert [run["seed"] for run in clone["runs"]] == [4, 5]
    assert all(run["status"] == "queued" and run["task_id"] for run in clone["runs"])
    source = client.get(f"/api/v1/experiments/{catalog['cartpole']}").json()
    assert source["spec"]["algo"]["params"]["learning_rate"] == 0.0005


@pytest.mark.parametrize(
    ("changes", "loc", "words"),
    [
        ({"algo.params.lr": 0.1}, ["body", "changes", "algo.params.lr"], "unknown spec path"),
        ({"runner.n_steps.x": 1}, ["body", "changes", "runner.n_steps.x"], "unknown spec path"),
        ({"algo.params.learning_rate": -1},
         ["body", "changes", "algo.params.learning_rate"], "greater than 0"),
        ({"seeds": [1, 1]}, ["body", "changes", "seeds"], "unique"),
    ],
    ids=["unknown-leaf", "below-a-value", "invalid-value", "invalid-list"],
)
def test_a_bad_clone_is_a_422_naming_the_path_and_writes_nothing(
    client: TestClient, catalog: dict[str, int], changes: dict, loc: list[str], words: str
) -> None:
    response = client.post(
        f"/api/v1/experiments/{catalog['plain']}/clone", json={"changes": changes}
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == loc
    assert words in error["msg"]
    assert client.get("/api/v1/experiments").json()["total"] == 3


def test_cloning_an_unknown_experiment_is_404(client: TestClient) -> None:
    response = client.post("/api/v1/experiments/999/clone", json={"changes": {}})
    assert (response.status_code, response.json()) == (404, {"detail": "experiment 999 not found"})
