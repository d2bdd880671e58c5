"""Every DQN-family preset loads and builds a runner with the intended agent and algorithm."""

from __future__ import annotations

import pytest

from engine.agents.dqn import CatDqnAgent, DqnAgent
from engine.algos.dqn import DQN, CategoricalDQN
from engine.build import build_runner
from engine.spec import load_spec, preset_names

PRESETS = [
    name
    for name in preset_names()
    if any(key in name for key in ("dqn", "catdqn", "rainbow"))
]


def test_the_dqn_presets_are_all_there():
    assert set(PRESETS) >= {
        "atari_dqn", "atari_double_dqn", "atari_dueling_dqn", "atari_prioritized_dqn",
        "atari_double_pri_duel_dqn", "atari_catdqn", "atari_rainbow",
        "cartpole_dqn", "cartpole_catdqn",
    }


@pytest.mark.parametrize("name", PRESETS)
def test_preset_builds_a_runner(name, tmp_path):
    spec = load_spec(f"preset:{name}")
    runner = build_runner(spec, seed=0, out_dir=tmp_path)
    categorical = spec.algo.name == "CategoricalDQN"
    assert type(runner.algo) is (CategoricalDQN if categorical else DQN)
    assert type(runner.agent) is (CatDqnAgent if categorical else DqnAgent)
    params = spec.algo.params
    assert runner.algo.double_dqn == params.double_dqn
    assert runner.algo.prioritized_replay == params.prioritized_replay
    assert runner.agent.model_kwargs["dueling"] == spec.model.dueling
    atari = spec.env.id.startswith("ALE/")
    assert runner.algo.frame_buffer == atari
    assert (runner.agent.model_kwargs["conv"] is not None) == atari
    if name == "atari_rainbow":
        assert categorical and params.n_step_return == 3 and params.learning_rate == 6.25e-5
        assert params.double_dqn and params.prioritized_replay and spec.model.dueling
