"""Small valid inputs for the backend tests."""

from __future__ import annotations

from fastapi.testclient import TestClient


def ppo_spec(**overrides: object) -> dict[str, object]:
    """A small valid spec (JSON form), with top-level fields replaced by ``overrides``."""
    spec: dict[str, object] = {
        "name": "ppo-cartpole",
        "env": {"id": "CartPole-v1"},
        "algo": {"name": "PPO", "params": {"learning_rate": 0.0005}},
        "runner": {"n_steps": 4096, "log_interval_steps": 1024},
        "seeds": [0, 1, 2],
    }
    return {**spec, **overrides}


def create_experiment(client: TestClient, **overrides: object) -> dict:
    """POST a small PPO experiment; returns the 201 body."""
    response = client.post("/api/v1/experiments", json={"spec": ppo_spec(**overrides)})
    assert response.status_code == 201, response.text
    return response.json()
