"""Learning tests: the CartPole presets of DQN (double, dueling, prioritized, 3-step) and of
CategoricalDQN (the same plus C51) reach an evaluation return of 450 within 100k steps and
hold it to the end."""

from __future__ import annotations

import json
import time

import pytest
import torch

from engine.build import build_runner
from engine.spec import load_spec


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["cartpole_dqn", "cartpole_catdqn"])
def test_dqn_solves_cartpole(preset, tmp_path):
    torch.set_num_threads(1)
    spec = load_spec(f"preset:{preset}")
    assert spec.runner.n_steps == 100_000 and spec.runner.kind == "minibatch_eval"
    start = time.perf_counter()
    result = build_runner(spec, seed=0, out_dir=tmp_path).train()
    seconds = time.perf_counter() - start
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    evals = [(r["step"], r["metrics"]["eval_return_mean"]) for r in rows]
    print(f"{preset} seed 0: {seconds:.0f} s, eval returns {evals}")
    assert result["steps"] == 100_000
    assert max(ret for _, ret in evals) >= 450
    final_step, final_return = evals[-1]
    assert final_step == 100_000 and final_return >= 450
