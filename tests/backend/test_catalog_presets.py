"""The catalog lists the engine's presets with their full specs, and leaves out a broken one."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import engine.spec
from backend.services.catalog import build_catalog


@pytest.fixture
def fresh_catalog() -> Iterator[None]:
    """The catalog is built once per process: rebuild it for this test and after it."""
    build_catalog.cache_clear()
    yield
    build_catalog.cache_clear()


def test_the_catalog_lists_every_shipped_preset(client: TestClient, fresh_catalog: None) -> None:
    listed = {preset["name"]: preset for preset in client.get("/api/v1/catalog").json()["presets"]}
    assert list(listed) == engine.spec.preset_names()
    for name, preset in listed.items():
        spec = engine.spec.load_spec(f"preset:{name}")
        assert (preset["algorithm"], preset["env_id"]) == (spec.algo.name, spec.env.id)
        assert preset["spec"] == spec.model_dump(mode="json")


def test_a_preset_that_does_not_validate_is_left_out_with_a_warning(
    client: TestClient,
    fresh_catalog: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (tmp_path / "good.yaml").write_text(
        "name: good\nenv: {id: CartPole-v1}\nalgo: {name: PPO, params: {discount: 0.98}}\n"
    )
    (tmp_path / "typo.yaml").write_text("name: typo\nenv: {id: CartPole-v1}\nalgo: {name: PPO, params: {discont: 0.9}}\n")
    (tmp_path / "not_yaml.yaml").write_text("name: [unclosed\n")
    monkeypatch.setattr(engine.spec, "PRESETS_DIR", tmp_path)

    with caplog.at_level(logging.WARNING, logger="backend.services.catalog"):
        response = client.get("/api/v1/catalog")
    assert response.status_code == 200
    (preset,) = response.json()["presets"]
    assert (preset["name"], preset["algorithm"], preset["env_id"]) == ("good", "PPO", "CartPole-v1")
    assert preset["spec"]["algo"]["params"]["discount"] == 0.98
    assert preset["spec"] == engine.spec.load_spec(tmp_path / "good.yaml").model_dump(mode="json")
    warned = {record.getMessage().split()[1] for record in caplog.records}
    assert warned == {"typo", "not_yaml"}
