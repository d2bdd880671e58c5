"""A resumed R2D1 run continues exactly: the checkpoint holds the sequence replay (with its
RNN states and priority tree), the target network and the LSTM states of the envs in flight,
which the CPU sampler's workers keep in their own copies of the agent."""

from __future__ import annotations

import shutil

import pytest
import yaml

from engine.checkpoint import CHECKPOINT_NAME, KEPT_DIR
from engine.cli import main
from tests.engine.test_train_cli import TIMING_KEYS, read_columns

BATCH = 10 * 4


@pytest.mark.parametrize("sampler", [dict(kind="serial"), dict(kind="cpu", workers=2)])
def test_r2d1_resume_continues_identically(tmp_path, sampler) -> None:
    spec = dict(
        env=dict(id="engine.envs.pomdp:CartPoleNoVelocity-v1"),
        algo=dict(
            name="R2D1",
            params=dict(
                discount=0.99, batch_T=10, batch_B=8, warmup_T=5, store_rnn_state_interval=5,
                n_step_return=3, min_steps_learn=200, replay_size=800, replay_ratio=8,
                target_update_interval=5, learning_rate=1e-3, eps_steps=400,
            ),
        ),
        model=dict(hidden_sizes=[16], lstm_size=16),
        sampler=dict(**sampler, batch_T=10, batch_B=4, eval_n_envs=2, eval_max_steps=100),
        runner=dict(
            kind="minibatch_eval", n_steps=30 * BATCH, log_interval_steps=5 * BATCH,
            checkpoint_interval_steps=15 * BATCH, checkpoint_keep_interval_steps=15 * BATCH,
        ),
        device="cpu",
    )
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec))
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    assert main(["train", str(spec_path), "--seed", "1", "--out", str(full)]) == 0

    # The state after 15 batches (the replay has wrapped: 800 steps hold 20 batches), as a
    # killed run would have left it: its checkpoint and the rows logged up to then.
    shutil.copytree(full, resumed)
    (resumed / "summary.json").unlink()
    shutil.copyfile(
        full / KEPT_DIR / f"checkpoint_{15 * BATCH}.pt", resumed / CHECKPOINT_NAME
    )
    assert main(["train", str(spec_path), "--seed", "1", "--out", str(resumed), "--resume"]) == 0

    expected, got = read_columns(full / "progress.csv"), read_columns(resumed / "progress.csv")
    assert got["step"] == expected["step"]
    assert "loss" in expected
    for key in set(expected) - TIMING_KEYS:
        assert got[key] == expected[key], key
