"""R2D1 through full Atari preprocessing and the frame sequence replay, with every sampler;
and its presets build."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from engine.build import build_runner
from engine.spec import ExperimentSpec, load_spec


def pong_spec(kind: str) -> ExperimentSpec:
    return ExperimentSpec.model_validate(
        dict(
            env=dict(id="ALE/Pong-v5", kwargs=dict(episodic_lives=False, clip_reward=False)),
            algo=dict(
                name="R2D1",
                params=dict(
                    batch_T=5, batch_B=2, warmup_T=5, store_rnn_state_interval=5,
                    n_step_return=2, min_steps_learn=1000, replay_size=2000,
                    target_update_interval=10, eps_steps=1000,
                ),
            ),
            model=dict(hidden_sizes=[32], lstm_size=32, dueling=True),
            sampler=dict(
                kind=kind, batch_T=10, batch_B=4, mid_batch_reset=False,
                max_decorrelation_steps=20, workers=1 if kind == "alternating" else 2,
                eval_n_envs=2, eval_max_steps=60,
            ),
            runner=dict(kind="minibatch_eval", n_steps=2000, log_interval_steps=1000),
            device="cpu",
        )
    )


@pytest.mark.parametrize("kind", ["serial", "cpu", "gpu", "alternating"])
def test_r2d1_pong_smoke(kind: str, tmp_path) -> None:
    torch.set_num_threads(1)
    runner = build_runner(pong_spec(kind), seed=0, out_dir=tmp_path)
    summary = runner.train()
    algo = runner.algo
    assert summary["steps"] == 2000
    # Learning from 1000 steps on (2 updates of 2 x 10 steps per 40-step batch at replay
    # ratio 1), on finite losses.
    assert algo.min_itr_learn == 1000 // 40 and algo.updates_per_optimize == 2
    assert algo.update_counter == 2 * (2000 // 40 - 1000 // 40)
    assert math.isfinite(summary["loss"]) and "eval_episodes" in summary
    replay = algo.replay_buffer
    assert type(replay).__name__ == "PrioritizedSequenceReplayFrameBuffer"
    assert replay.samples_frames.shape[2:] == (84, 84)  # one frame per step, not a stack
    # Every column stored its RNN state every 5 of its 2000 // 4 = 500 rows.
    assert (np.abs(replay.samples_prev_rnn_state.h).sum(-1) > 0).mean() > 0.9


@pytest.mark.parametrize("preset", ["atari_r2d1", "cartpole_r2d1"])
def test_r2d1_presets_build(preset: str, tmp_path) -> None:
    spec = load_spec(f"preset:{preset}")
    assert spec.algo.name == "R2D1"
    runner = build_runner(spec, seed=0, out_dir=tmp_path)
    assert type(runner.algo).__name__ == "R2D1" and runner.agent.recurrent
