"""Bounds on every input: a 422 naming the field and the reason, never a 500 or a silent
acceptance of something a worker cannot run; ``module:Name`` environment ids only when the
server allows them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.main import create_app
from backend.settings import Settings
from engine.spec import ExperimentSpec, entry_point_envs_allowed
from tests.backend.factories import create_experiment, ppo_spec


def error_of(response: Any) -> tuple[list[Any], str]:
    """The loc and msg of a 422's single error."""
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    return error["loc"], error["msg"]


def post_spec(client: TestClient, **overrides: object) -> Any:
    return client.post("/api/v1/experiments", json={"spec": ppo_spec(**overrides)})


SPEC = ["body", "spec"]


@pytest.mark.parametrize(
    ("overrides", "loc", "reason"),
    [
        ({"runner": {"n_steps": 10**12}}, ["runner", "n_steps"], "less than or equal"),
        ({"runner": {"log_traj_window": 10**7}}, ["runner", "log_traj_window"],
         "less than or equal"),
        ({"runner": {"checkpoint_interval_steps": 10**12}},
         ["runner", "checkpoint_interval_steps"], "less than or equal"),
        ({"seeds": list(range(101))}, ["seeds"], "at most 100"),
        ({"seeds": [2**31]}, ["seeds", 0], "less than or equal"),
        ({"sampler": {"batch_B": 5000}}, ["sampler", "batch_B"], "less than or equal"),
        ({"sampler": {"batch_T": 100_000, "batch_B": 4096}}, ["sampler"], "batch_T x batch_B"),
        ({"sampler": {"max_decorrelation_steps": 10**9}}, ["sampler", "max_decorrelation_steps"],
         "less than or equal"),
        ({"name": "x" * 201}, ["name"], "at most 200"),
        ({"name": "a\x00b"}, ["name"], "NUL"),
        ({"env": {"id": "CartPole-v1" + "x" * 200}}, ["env", "id"], "at most 200"),
        ({"env": {"id": "CartPole-v1", "kwargs": {"a": [[[[[[[[[1]]]]]]]]]}}},
         ["env", "kwargs"], "nested deeper than 8"),
        ({"env": {"id": "CartPole-v1", "kwargs": {"a": list(range(1001))}}},
         ["env", "kwargs"], "more than 1000 values"),
        ({"algo": {"name": "DQN", "params": {"replay_size": 10**9}}},
         ["algo", "DQN", "params", "replay_size"], "less than or equal"),
        ({"algo": {"name": "SAC", "params": {"batch_size": 10**6}}},
         ["algo", "SAC", "params", "batch_size"], "less than or equal"),
        ({"algo": {"name": "R2D1", "params": {"batch_T": 10**5}}},
         ["algo", "R2D1", "params", "batch_T"], "less than or equal"),
        ({"model": {"hidden_sizes": [64] * 9}}, ["model", "hidden_sizes"], "at most 8"),
    ],
)
def test_spec_limits_are_422s_naming_the_field(
    client: TestClient, overrides: dict[str, object], loc: list[Any], reason: str
) -> None:
    got_loc, msg = error_of(post_spec(client, **overrides))
    assert got_loc == SPEC + loc
    assert reason in msg
    assert client.get("/api/v1/experiments").json()["total"] == 0


def test_non_finite_numbers_are_refused_where_json_would_carry_them(client: TestClient) -> None:
    # Python's JSON parser takes NaN and Infinity; stored, they would break every response.
    body = ('{"spec": {"env": {"id": "CartPole-v1"}, "algo": {"name": "PPO", "params": '
            '{"learning_rate": Infinity}}}}')
    response = client.post("/api/v1/experiments", content=body,
                           headers={"Content-Type": "application/json"})
    assert error_of(response)[0] == [*SPEC, "algo", "PPO", "params", "learning_rate"]
    body = '{"spec": {"env": {"id": "CartPole-v1", "kwargs": {"x": NaN}}, "algo": {"name": "PPO"}}}'
    response = client.post("/api/v1/experiments", content=body,
                           headers={"Content-Type": "application/json"})
    loc, msg = error_of(response)
    assert loc == [*SPEC, "env", "kwargs"] and "only finite numbers" in msg


def test_request_fields_outside_the_spec_are_bounded(client: TestClient) -> None:
    experiment = create_experiment(client, seeds=[0])
    url = f"/api/v1/experiments/{experiment['id']}"
    assert error_of(client.patch(url, json={"tags": ["t"] * 51}))[0] == ["body", "tags"]
    assert error_of(client.patch(url, json={"tags": ["x" * 101]}))[0] == ["body", "tags", 0]
    assert error_of(client.patch(url, json={"notes": "n" * 20_001}))[0] == ["body", "notes"]
    loc, msg = error_of(client.patch(url, json={"notes": "a\x00"}))
    assert loc == ["body", "notes"] and "NUL" in msg
    sweep = {f"algo.params.p{i}": [1] for i in range(33)}
    response = client.post("/api/v1/experiments", json={"spec": ppo_spec(), "sweep": sweep})
    assert error_of(response)[0] == ["body", "sweep"]
    sweep = {"algo.params.learning_rate": [0.001] * 1001}
    response = client.post("/api/v1/experiments", json={"spec": ppo_spec(), "sweep": sweep})
    assert error_of(response)[0] == ["body", "sweep", "algo.params.learning_rate"]
    # Ids beyond a 32-bit integer, and metric keys, are bounded before the database sees them.
    assert error_of(client.get(f"/api/v1/runs/{2**31}"))[0] == ["path", "id"]
    assert error_of(client.get(f"/api/v1/experiments/{2**63}/keys"))[0] == ["path", "id"]
    response = client.get(f"{url}/curves", params={"key": "k" * 251})
    assert error_of(response)[0] == ["query", "key"]
    assert error_of(client.get("/api/v1/experiments", params={"q": "a\x00"}))[0] == ["query", "q"]
    response = client.get("/api/v1/compare/report", params={"ids": f"1,{2**31}"})
    assert error_of(response)[0] == ["query", "ids", 1]


def test_the_sweep_size_is_bounded_by_max_runs(client: TestClient, settings: Settings) -> None:
    sweep = {"algo.params.learning_rate": [i / 1e4 + 1e-4 for i in range(400)]}
    response = client.post("/api/v1/experiments", json={"spec": ppo_spec(), "sweep": sweep})
    loc, msg = error_of(response)
    assert loc == ["body", "sweep"] and str(settings.max_runs_per_experiment) in msg


def test_a_body_over_max_body_bytes_is_413(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"max_body_bytes": 1000}))) as client:
        response = client.post("/api/v1/experiments", json={"spec": ppo_spec(), "notes": "n" * 2000})
        assert response.status_code == 413
        assert "max_body_bytes" in response.json()["detail"]

        def chunked() -> Any:  # no Content-Length: counted as it arrives
            yield b'{"notes": "'
            yield b"n" * 2000
            yield b'"}'

        response = client.patch("/api/v1/experiments/1", content=chunked(),
                                headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert post_spec(client).status_code == 201


def test_entry_point_env_ids_need_the_admin_setting(
    client: TestClient, settings: Settings
) -> None:
    # `module:Name` imports the module while the spec is validated: code runs in the API.
    evil = {"id": "antigravity:Fly-v0"}
    loc, msg = error_of(post_spec(client, env=evil))
    assert loc == [*SPEC, "env", "id"] and "would import the module 'antigravity'" in msg
    experiment = create_experiment(client, seeds=[0])
    response = client.post(f"/api/v1/experiments/{experiment['id']}/clone",
                           json={"changes": {"env.id": "antigravity:Fly-v0"}})
    assert "would import the module" in error_of(response)[1]
    sweep = {"env.id": ["CartPole-v1", "antigravity:Fly-v0"]}
    response = client.post("/api/v1/experiments", json={"spec": ppo_spec(), "sweep": sweep})
    assert "would import the module" in error_of(response)[1]
    # The engine's own environments stay available (the POMDP presets use them).
    pomdp = {"id": "engine.envs.pomdp:CartPoleNoVelocity-v1"}
    assert post_spec(client, env=pomdp).status_code == 201

    allowed = settings.model_copy(update={"allow_entry_point_envs": True})
    with TestClient(create_app(allowed)) as open_client:
        loc, msg = error_of(post_spec(open_client, env={"id": "json:Nothing-v0"}))
        assert loc == [*SPEC, "env", "id"] and "unknown environment id" in msg


def test_the_engine_and_cli_keep_accepting_entry_points() -> None:
    assert entry_point_envs_allowed.get() is True
    spec = ExperimentSpec.model_validate(
        {"env": {"id": "engine.envs.pomdp:CartPoleNoVelocity-v1"}, "algo": {"name": "PPO"}}
    )
    assert spec.env.id.startswith("engine.envs.pomdp:")
