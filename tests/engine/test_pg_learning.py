"""Learning tests of A2C and recurrent PPO (PPO's own is test_ppo_cartpole.py), and their
helpers: train a preset with one fixed seed, read its evaluation curve."""

import csv
import time
from pathlib import Path
from typing import Any

import pytest
import torch

from engine.build import build_runner
from engine.spec import ExperimentSpec, load_spec


def train_preset(
    name: str, seed: int, out_dir: Path, **overrides: Any
) -> tuple[list[tuple[int, float]], float]:
    """Train preset ``name`` (``overrides``: ``section={key: value}`` updates); return its
    evaluation curve ``[(step, eval_return_mean)]`` and the seconds it took."""
    torch.set_num_threads(1)
    spec = load_spec(f"preset:{name}").model_dump()
    for section, values in overrides.items():
        spec[section].update(values)
    start = time.perf_counter()
    build_runner(ExperimentSpec.model_validate(spec), seed, out_dir).train()
    seconds = time.perf_counter() - start
    with open(out_dir / "progress.csv", newline="") as f:
        curve = [(int(row["step"]), float(row["eval_return_mean"])) for row in csv.DictReader(f)]
    print(f"{name} seed {seed}: {seconds:.1f} s, eval returns {curve}")
    return curve, seconds


def first_step_reaching(curve: list[tuple[int, float]], bar: float) -> int | None:
    """The first step whose evaluation return is at least ``bar``."""
    return next((step for step, value in curve if value >= bar), None)


@pytest.mark.slow
def test_a2c_solves_cartpole(tmp_path):
    """Preset cartpole_a2c: the bar on 21 of seeds 0-23 (its comment has the measurements)."""
    curve, _ = train_preset("cartpole_a2c", seed=0, out_dir=tmp_path)
    reached = first_step_reaching(curve, 475)
    assert reached is not None and reached <= 100_000, curve
    assert curve[-1][1] >= 475, curve


@pytest.mark.slow
def test_recurrent_ppo_remembers_what_feed_forward_ppo_cannot(tmp_path):
    """CartPole without velocities (preset cartpole_ppo_lstm): the LSTM agent reaches an
    evaluation return of 400; the feed-forward agent with the same settings and budget stays
    far below. Measured (2026-11-24): best evaluations 494 / 491 / 500 / 467 / 482 on seeds
    0-4 (the preset's comment has the rest)."""
    curve, _ = train_preset("cartpole_ppo_lstm", seed=0, out_dir=tmp_path / "lstm")
    assert max(value for _, value in curve) >= 400, curve
    ff_curve, _ = train_preset(
        "cartpole_ppo_lstm", seed=0, out_dir=tmp_path / "ff", model={"recurrent": False}
    )
    assert max(value for _, value in ff_curve) < 200, ff_curve
