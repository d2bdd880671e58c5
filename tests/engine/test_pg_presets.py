"""Every policy-gradient preset validates and builds a runner (agent, model and algorithm
chosen from the spec and the environment's spaces)."""

import pytest

from engine.build import build_runner
from engine.spec import load_spec, preset_names

PG_PRESETS = [
    name
    for name in preset_names()
    if name.startswith(("atari_", "mujoco_", "cartpole_"))
    and any(algo in name for algo in ("ppo", "a2c"))
]
EXPECTED = {  # preset -> (algorithm, agent, model)
    "atari_a2c_ff": ("A2C", "CategoricalPgAgent", "PgConvModel"),
    "atari_a2c_lstm": ("A2C", "RecurrentCategoricalPgAgent", "PgLstmModel"),
    "atari_ppo_ff": ("PPO", "CategoricalPgAgent", "PgConvModel"),
    "atari_ppo_lstm": ("PPO", "RecurrentCategoricalPgAgent", "PgLstmModel"),
    "mujoco_ppo": ("PPO", "GaussianPgAgent", "GaussianPgMlpModel"),
    "mujoco_a2c": ("A2C", "GaussianPgAgent", "GaussianPgMlpModel"),
    "cartpole_ppo": ("PPO", "CategoricalPgAgent", "PgMlpModel"),
    "cartpole_a2c": ("A2C", "CategoricalPgAgent", "PgMlpModel"),
    "cartpole_ppo_lstm": ("PPO", "RecurrentCategoricalPgAgent", "PgLstmModel"),
}


def test_every_pg_preset_is_listed():
    assert sorted(PG_PRESETS) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_preset_loads_and_builds_a_runner(name, tmp_path):
    spec = load_spec(f"preset:{name}")
    spec = spec.model_copy(update={"device": "cpu"})
    runner = build_runner(spec, seed=0, out_dir=tmp_path)
    algo, agent, model = EXPECTED[name]
    assert spec.algo.name == algo == type(runner.algo).__name__
    assert type(runner.agent).__name__ == agent
    assert runner.agent.ModelCls.__name__ == model
    # The model builds for the env's spaces (the sampler does this on startup).
    env = runner.sampler.EnvCls(**runner.sampler.env_kwargs)
    runner.agent.initialize(env.spaces)
    env.close()
    assert sum(p.numel() for p in runner.agent.parameters()) > 0
