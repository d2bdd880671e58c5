"""SyncRl: data-parallel replicas over gloo; learning, identical parameters, failure handling."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.spec import load_spec
from tests.support import processes_with_env, wait_for

REPO = Path(__file__).resolve().parents[2]
TAG = "RLBOARD_TEST_SYNC_RUN"


def ppo_cartpole_spec(n_steps: int, **runner: Any) -> dict[str, Any]:
    """examples/ppo_cartpole.yaml over 2 ranks: each rank samples T32 x B4, so an iteration
    is the example's 256 steps."""
    spec = yaml.safe_load((REPO / "examples" / "ppo_cartpole.yaml").read_text())
    spec["sampler"] = {"kind": "serial", "batch_T": 32, "batch_B": 4, "eval_n_envs": 2}
    spec["runner"] = {"kind": "sync_eval", "world_size": 2, "n_steps": n_steps,
                      "log_interval_steps": 10_000, **runner}
    return spec


def start_training(spec: dict[str, Any], out: Path, tag: str) -> subprocess.Popen[str]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "spec.yaml").write_text(yaml.safe_dump(spec))
    return subprocess.Popen(
        [sys.executable, "-m", "engine", "train", str(out / "spec.yaml"), "--seed", "0",
         "--out", str(out)],
        cwd=REPO, env={**os.environ, TAG: tag}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )


@contextmanager
def nothing_left_behind(tag: str) -> Iterator[None]:
    """Around a run started with ``start_training(..., tag)`` that is killed in the block: at
    its end, wait (at most 30 s) until no process of the run is left (children, sampler workers,
    resource trackers), kill any that are anyway, and check /dev/shm holds nothing new."""
    shm_before = set(os.listdir("/dev/shm"))
    try:
        yield
        wait_for(lambda: not processes_with_env(TAG, tag) or None, timeout_s=30)
    finally:
        for pid in processes_with_env(TAG, tag):
            os.kill(pid, signal.SIGKILL)
    assert set(os.listdir("/dev/shm")) <= shm_before


def spawned_ranks(main_pid: int, tag: str) -> list[int]:
    """Pids of the rank processes the main (rank 0) process started with ``spawn``."""
    ranks = []
    for pid in processes_with_env(TAG, tag):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == main_pid and b"spawn_main" in cmdline:
            ranks.append(pid)
    return ranks


@pytest.mark.slow
def test_two_gloo_ranks_train_ppo_on_cartpole_and_end_with_identical_parameters(tmp_path):
    process = start_training(ppo_cartpole_spec(60_000), tmp_path, uuid.uuid4().hex)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["ranks_in_sync"] == 1.0
    assert summary["steps"] >= 60_000
    assert summary["eval_return_mean"] >= 475, summary
    # Rank 0 alone logs: one row per 10k steps of the whole run, counted over both ranks.
    steps = [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").open()]
    assert steps[0] == 0 and steps[1] == 10_240 and steps[-1] == summary["steps"]


@pytest.mark.slow
def test_two_gloo_ranks_train_sac_on_pendulum(tmp_path):
    """SAC, whose several models and losses per update broke rlpyt's SAC under DDP: the
    pendulum_sac preset over 2 ranks (24k steps in all, 12k per rank)."""
    spec = load_spec("preset:pendulum_sac").model_dump(mode="json")
    spec["runner"].update(kind="sync_eval", world_size=2, n_steps=24_000, log_interval_steps=4_000)
    process = start_training(spec, tmp_path, uuid.uuid4().hex)
    _, stderr = process.communicate(timeout=900)
    assert process.returncode == 0, stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["ranks_in_sync"] == 1.0
    assert summary["eval_return_mean"] >= -250, summary


@pytest.mark.parametrize(
    "victim", ["rank 1", "rank 1 while it starts", "rank 0", "rank 0 while rank 1 starts"]
)
def test_a_killed_rank_ends_the_whole_run_with_a_clear_error(tmp_path, victim):
    """A rank killed in training, or while the ranks start (rank 0 then waits in the rendezvous
    or in its startup broadcast, where only the rank watcher or startup's own error handling
    can name the dead rank)."""
    tag = uuid.uuid4().hex
    with nothing_left_behind(tag):
        process = start_training(ppo_cartpole_spec(10_000_000), tmp_path, tag)
        rank_1 = wait_for(lambda: spawned_ranks(process.pid, tag), 120, interval_s=0.1)[0]
        if not victim.endswith("starts"):
            # Training under way: rank 0 has logged its step-0 evaluation.
            wait_for(lambda: (tmp_path / "metrics.jsonl").stat().st_size > 0 or None, 120)
        killed_at = time.monotonic()
        os.kill(rank_1 if victim.startswith("rank 1") else process.pid, signal.SIGKILL)
        # A dead rank 0 leaves the pipes open until its children follow it.
        _, stderr = process.communicate(timeout=30)
        if victim.startswith("rank 1"):
            assert process.returncode == 1
            assert "sync rank 1" in stderr and "was killed by SIGKILL" in stderr, stderr
    # Nothing of the run survives it: ranks, their samplers, resource trackers.
    assert time.monotonic() - killed_at < 30
