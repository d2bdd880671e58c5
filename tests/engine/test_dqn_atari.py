"""Atari smoke: DQN and CategoricalDQN run 2 000 steps of ALE/Pong-v5 through the full
preprocessing and the frame replay with every sampler kind, and learn (updates happen); the
replay rebuilds exactly the stacks the sampler saw."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.build import build_runner
from engine.replays import PrioritizedReplayFrameBuffer, UniformReplayFrameBuffer
from engine.spec import ExperimentSpec


@pytest.mark.parametrize("kind", ["serial", "cpu", "gpu", "alternating"])
@pytest.mark.parametrize("algo", ["DQN", "CategoricalDQN"])
def test_atari_smoke(tmp_path, kind, algo):
    torch.set_num_threads(1)
    spec = ExperimentSpec.model_validate(
        dict(
            env=dict(id="ALE/Pong-v5"),
            algo=dict(
                name=algo,
                params=dict(
                    batch_size=8,
                    min_steps_learn=500,
                    replay_size=1000,  # the ring wraps
                    replay_ratio=0.5,  # one update per iteration
                    target_update_interval=10,
                    n_step_return=3,
                    eps_steps=1000,
                    double_dqn=True,
                    prioritized_replay=algo == "CategoricalDQN",
                ),
            ),
            model=dict(dueling=True, hidden_sizes=[32]),
            # B 8: half the action-selection passes of B 4 for the same 16 steps an iteration
            sampler=dict(kind=kind, batch_T=2, batch_B=8, max_decorrelation_steps=10,
                         workers=1),
            runner=dict(kind="minibatch", n_steps=2000, log_interval_steps=1000),
            device="cpu",
        )
    )
    runner = build_runner(spec, seed=0, out_dir=tmp_path)
    result = runner.train()
    assert result["steps"] == 2000
    replay = runner.algo.replay_buffer
    prioritized = algo == "CategoricalDQN"
    FrameCls = PrioritizedReplayFrameBuffer if prioritized else UniformReplayFrameBuffer
    assert isinstance(replay, FrameCls) and replay._buffer_full
    assert replay.samples_frames.shape[2:] == (84, 84)  # one frame per step, not the stack
    assert runner.algo.update_counter == 2000 // 16 - runner.algo.min_itr_learn
    assert np.isfinite(result["loss"])
    # The last batch, rebuilt from the frames, is what the sampler recorded.
    observation = runner.sampler.samples_pyt.env.observation.numpy()  # [T, B, 4, 84, 84]
    T, B = observation.shape[:2]
    rows = (replay.t - T + np.arange(T)) % replay.T
    for b in range(B):
        rebuilt = replay.extract_observation(rows, np.full(T, b))
        np.testing.assert_array_equal(rebuilt, observation[:, b])
    assert observation.any()
