"""DDPG, TD3 and SAC run end to end on HalfCheetah-v5 with every sampler kind, update, and
write a checkpoint that holds the replay; every preset of the family builds a runner."""

import pytest
import torch

from engine.build import build_runner
from engine.checkpoint import load_checkpoint
from engine.spec import ExperimentSpec, load_spec

N_STEPS = 2000


@pytest.mark.parametrize("kind", ["serial", "cpu", "gpu", "alternating"])
@pytest.mark.parametrize("algo", ["DDPG", "TD3", "SAC"])
def test_halfcheetah_runs_and_checkpoints(algo, kind, tmp_path):
    torch.set_num_threads(1)
    spec = ExperimentSpec.model_validate(
        dict(
            # Episodes of 100 steps: many time-limit cuts, which the replay must mask.
            env={"id": "HalfCheetah-v5", "kwargs": {"max_episode_steps": 100}},
            # 50 of the 100 iterations update, twice each (replay_ratio * 20 / batch_size).
            algo={
                "name": algo,
                "params": dict(
                    min_steps_learn=1000, replay_size=2000, batch_size=32, replay_ratio=3.2
                ),
            },
            model={"hidden_sizes": [32, 32]},
            sampler=dict(
                kind=kind,
                batch_T=10,
                batch_B=2,
                workers=None if kind == "serial" else 1,
                eval_n_envs=2,
                eval_max_steps=200,
                eval_max_trajectories=2,
            ),
            runner=dict(kind="minibatch_eval", n_steps=N_STEPS, log_interval_steps=1000),
            device="cpu",
        )
    )
    summary = build_runner(spec, 0, tmp_path).train()
    assert summary["steps"] == N_STEPS
    loss_key = "q1_loss" if algo == "SAC" else "q_loss"
    assert torch.isfinite(torch.tensor(summary[loss_key]))
    assert summary["eval_episodes"] == 2 and "eval_return_mean" in summary
    assert summary["episodes"] >= 2 * (N_STEPS // 2 - 100) // 100

    checkpoint = load_checkpoint(tmp_path)
    assert checkpoint["counters"]["cum_steps"] == N_STEPS
    assert checkpoint["counters"]["cum_updates"] == 50 * 2
    replay = checkpoint["algo"]["replay"]
    assert replay["buffer_full"] and replay["t"] == 0  # 2000 steps of 2 envs fill 2 x 1000
    assert replay["arrays"]["samples.0"].shape == (1000, 2, 17)  # HalfCheetah observations


@pytest.mark.parametrize(
    "preset",
    ["mujoco_ddpg", "mujoco_td3", "mujoco_sac", "pendulum_ddpg", "pendulum_td3", "pendulum_sac"],
)
def test_preset_builds_a_runner(preset, tmp_path):
    spec = load_spec(f"preset:{preset}")
    runner = build_runner(spec, 0, tmp_path)
    assert runner.algo.__class__.__name__ == spec.algo.name
    assert runner.n_steps == spec.runner.n_steps
