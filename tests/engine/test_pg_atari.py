"""Atari smoke: PPO and A2C, feed-forward and LSTM, through full preprocessing on every
sampler kind (each combination on two kinds, each kind with both), checkpoint written."""

import math

import pytest
import torch

from engine.build import build_runner
from engine.checkpoint import load_checkpoint
from engine.spec import ExperimentSpec, load_spec

RUNS = [
    ("atari_ppo_ff", "serial"),
    ("atari_a2c_lstm", "serial"),
    ("atari_a2c_ff", "cpu"),
    ("atari_ppo_lstm", "cpu"),
    ("atari_ppo_ff", "gpu"),
    ("atari_a2c_lstm", "gpu"),
    ("atari_a2c_ff", "alternating"),
    ("atari_ppo_lstm", "alternating"),
]
N_STEPS = 2000


@pytest.mark.parametrize("preset, kind", RUNS)
def test_atari_pg_runs_and_checkpoints(preset, kind, tmp_path):
    torch.set_num_threads(1)
    spec = load_spec(f"preset:{preset}").model_dump()
    # Two worker processes in every parallel sampler (the alternating one: one per group).
    workers = {"serial": None, "alternating": 1}.get(kind, 2)
    spec["sampler"].update(
        kind=kind, batch_T=20, batch_B=4, workers=workers, max_decorrelation_steps=50
    )
    spec["runner"].update(n_steps=N_STEPS, log_interval_steps=1000)
    spec["device"] = "cpu"
    runner = build_runner(ExperimentSpec.model_validate(spec), seed=0, out_dir=tmp_path)
    summary = runner.train()
    assert summary["steps"] >= N_STEPS
    for key in ("loss", "policy_loss", "value_loss", "entropy", "grad_norm"):
        assert math.isfinite(summary[key]), key
    checkpoint = load_checkpoint(tmp_path)
    assert checkpoint is not None and checkpoint["counters"]["cum_steps"] >= N_STEPS
