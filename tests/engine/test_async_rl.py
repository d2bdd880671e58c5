"""AsyncRl: sampler, memory copiers and optimizer in separate processes around a shared replay.

Learning (DQN on CartPole with the serial and the CPU sampler), the replay ratio held in both
directions, SAC and R2D1 end to end, the shared replay across processes, and failure handling
(any process SIGKILLed)."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from engine.build import build_runner
from engine.checkpoint import CHECKPOINT_NAME, load_checkpoint
from engine.replays import UniformReplayBuffer
from engine.replays.async_ import AsyncReplayBuffer
from engine.spec import ExperimentSpec, load_spec
from engine.utils.collections import namedarraytuple
from tests.engine.test_sync_rl import REPO, nothing_left_behind, start_training
from tests.support import wait_for


def dqn_cartpole_spec(sampler: str, n_steps: int, **runner: Any) -> dict[str, Any]:
    """The cartpole_dqn preset (double, dueling, prioritized, 3-step; replay ratio 8) as an
    async_eval run."""
    spec = load_spec("preset:cartpole_dqn").model_dump(mode="json")
    spec["sampler"].update(kind=sampler, workers=2 if sampler == "cpu" else None)
    spec["runner"] = {"kind": "async_eval", "n_steps": n_steps, "log_interval_steps": 10_000,
                      **runner}
    return spec


def train(spec: dict[str, Any], out: Path) -> tuple[dict[str, float], list[dict[str, Any]]]:
    torch.set_num_threads(1)
    runner = build_runner(ExperimentSpec.model_validate(spec), seed=0, out_dir=out)
    summary = runner.train()
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return summary, rows


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["serial", "cpu"])
def test_async_dqn_solves_cartpole_at_the_requested_replay_ratio(sampler, tmp_path):
    """Evaluation return (eval_return_mean, 8 greedy episodes) reaches 450 within 100k steps;
    every row after learning starts has consumed 8 replayed transitions per env step +- 10%."""
    start = time.perf_counter()
    summary, rows = train(dqn_cartpole_spec(sampler, 100_000), tmp_path)
    evals = [(r["step"], r["metrics"]["eval_return_mean"]) for r in rows]
    ratios = [r["metrics"]["replay_ratio"] for r in rows if "replay_ratio" in r["metrics"]]
    print(f"{sampler}: {time.perf_counter() - start:.0f} s, evals {evals}, ratios {ratios}")
    assert summary["steps"] >= 100_000
    assert max(ret for _, ret in evals) >= 450
    # The first row spans the 1000 steps before learning starts.
    assert len(ratios) == 10 and all(abs(r / 8 - 1) <= 0.1 for r in ratios[1:]), ratios


def test_sac_on_pendulum_runs_async(tmp_path):
    spec = load_spec("preset:pendulum_sac").model_dump(mode="json")
    spec["algo"]["params"].update(min_steps_learn=400, batch_size=64, replay_ratio=32)
    spec["runner"] = {"kind": "async_eval", "n_steps": 1200, "log_interval_steps": 600}
    spec["sampler"].update(eval_n_envs=1, eval_max_trajectories=1, eval_max_steps=200)
    summary, rows = train(spec, tmp_path)
    assert [r["step"] for r in rows] == [0, 600, 1200]
    assert rows[-1]["metrics"]["replay_ratio"] == pytest.approx(32, rel=0.1)
    assert np.isfinite(summary["q1_loss"]) and "eval_return_mean" in summary
    assert (tmp_path / "checkpoint.pt").exists()


def test_r2d1_runs_async(tmp_path):
    spec = load_spec("preset:cartpole_r2d1").model_dump(mode="json")
    spec["algo"]["params"].update(min_steps_learn=400)
    spec["runner"] = {"kind": "async", "n_steps": 1600, "log_interval_steps": 800}
    summary, rows = train(spec, tmp_path)
    assert [r["step"] for r in rows] == [800, 1600]
    assert rows[-1]["metrics"]["replay_ratio"] == pytest.approx(32, rel=0.1)
    assert np.isfinite(summary["loss"])


def test_a_killed_async_run_resumes_from_its_checkpoint(tmp_path):
    """SIGKILLed after a checkpoint, ``--resume`` goes on from it to the end: counters, logs
    and the replay come back (learning goes on at once, at the replay ratio); the sampler's
    envs restart, so the values are not those of an uninterrupted run (nor are two async runs'
    anyway)."""
    tag, n_steps, interval = uuid.uuid4().hex, 12_000, 4_000
    spec = dqn_cartpole_spec(
        "serial", n_steps, log_interval_steps=2_000, checkpoint_interval_steps=interval
    )

    def checkpoint_step() -> int | None:
        if not (tmp_path / CHECKPOINT_NAME).exists():
            return None
        return load_checkpoint(tmp_path)["counters"]["cum_steps"] or None

    with nothing_left_behind(tag):
        process = start_training(spec, tmp_path, tag)
        step = wait_for(checkpoint_step, 120, interval_s=0.05, what="a checkpoint")
        process.kill()
        process.communicate()
    assert interval <= step < n_steps and not (tmp_path / "summary.json").exists()

    result = subprocess.run(
        [sys.executable, "-m", "engine", "train", str(tmp_path / "spec.yaml"), "--seed", "0",
         "--out", str(tmp_path), "--resume"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"resuming from {tmp_path / CHECKPOINT_NAME} at step {step}" in result.stdout
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    # One row per log interval (steps count whole sampler batches), none twice or missing.
    steps = [r["step"] for r in rows]
    assert steps == sorted(set(steps)) and len(steps) == n_steps // 2_000 + 1, steps
    resumed = [r["metrics"] for r in rows if r["step"] > step]
    assert all(r["replay_ratio"] == pytest.approx(8, rel=0.1) for r in resumed), resumed
    assert json.loads((tmp_path / "summary.json").read_text())["steps"] >= n_steps


def test_async_needs_a_replay_algorithm():
    spec = load_spec("preset:cartpole_ppo").model_dump(mode="json")
    spec["runner"]["kind"] = "async"
    with pytest.raises(ValidationError, match="needs an algorithm with a replay buffer"):
        ExperimentSpec.model_validate(spec)


# --------------------------------------------------------------------------------------------
# The shared replay

Step = namedarraytuple("Step", ["observation", "action", "reward", "done"])


def _append_in_child(replay: AsyncReplayBuffer, value: float) -> None:
    T, B = 5, replay.B
    replay.append_samples(Step(
        observation=np.full((T, B, 3), value, dtype=np.float32),
        action=np.zeros((T, B), dtype=np.int64),
        reward=np.full((T, B), value, dtype=np.float32),
        done=np.zeros((T, B), dtype=bool),
    ))


def test_a_child_process_appends_to_the_replay_the_parent_samples():
    example = Step(np.zeros(3, np.float32), np.int64(0), np.float32(0), np.bool_(False))
    replay = AsyncReplayBuffer(
        UniformReplayBuffer(example, size=40, B=2, n_step_return=2, share_memory=True)
    )
    for value in (1.0, 2.0):  # twice: the second child must see the first one's cursor
        child = mp.get_context("spawn").Process(target=_append_in_child, args=(replay, value))
        child.start()
        child.join(60)
        assert child.exitcode == 0
    batch = replay.sample_batch(64)
    assert replay.t == 10  # the children's cursor, read before sampling
    assert set(batch.agent_inputs.observation[:, 0].tolist()) <= {1.0, 2.0}
    assert replay.samples.reward[:10, 0].tolist() == [1.0] * 5 + [2.0] * 5


# --------------------------------------------------------------------------------------------
# Failures

@pytest.mark.parametrize(
    "victim", ["async sampler", "async memory copier 0", "async memory copier 1", "optimizer"]
)
def test_a_killed_process_ends_the_whole_run_with_a_clear_error(tmp_path, victim):
    """The CPU sampler, so that the sampler process has workers of its own to take down."""
    tag = uuid.uuid4().hex
    with nothing_left_behind(tag):
        process = start_training(dqn_cartpole_spec("cpu", 10_000_000), tmp_path, tag)
        pids: dict[str, int] = {}
        assert process.stdout is not None
        for line in process.stdout:  # "<name>: pid <pid>" for each child, then metric rows
            if match := re.match(r"(async .+): pid (\d+)$", line.strip()):
                pids[match[1]] = int(match[2])
            if line.startswith("step="):  # learning under way
                break
        pids["optimizer"] = process.pid
        killed_at = time.monotonic()
        os.kill(pids[victim], signal.SIGKILL)
        _, stderr = process.communicate(timeout=30)
        if victim != "optimizer":
            assert process.returncode == 1
            assert f"{victim} (pid {pids[victim]}) was killed by SIGKILL" in stderr, stderr
    # Nothing of the run survives it: children, sampler workers, resource trackers.
    assert time.monotonic() - killed_at < 30
