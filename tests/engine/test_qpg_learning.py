"""Learning tests: SAC and TD3 reach an evaluation return of -250 on Pendulum-v1 within 20k
steps, DDPG -400 (presets ``pendulum_sac``, ``pendulum_td3``, ``pendulum_ddpg``: 12k steps).

One fixed seed each (1). As in benchmarks/learning.py, a run passes when an evaluation (10
episodes) reaches the bar within the budget; issue 4 asks these three to reach it, not to hold
it (PPO, A2C and the DQNs must also end above theirs). Final evaluation returns when the
settings were chosen, seeds 1 / 2: SAC -133 / -142, TD3 -140 / -144, DDPG -132 / -142. After
a fresh install of the dependencies (2026-11-24; the cause of the change is not found: the
same code at the earlier commit changed alike) SAC seed 1 went -1359, -1701, -1299, -309, -99,
-307, -357: it reaches -99 at 10k steps but ends at -357.
"""

import json
import subprocess
import sys
import time

import pytest

from tests.engine.test_train_cli import REPO, read_columns


@pytest.mark.slow
@pytest.mark.parametrize(
    "preset, threshold", [("pendulum_sac", -250), ("pendulum_td3", -250), ("pendulum_ddpg", -400)]
)
def test_pendulum_learns(preset, threshold, tmp_path):
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "engine", "train", f"preset:{preset}", "--seed", "1"]
        + ["--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    curve = read_columns(tmp_path / "progress.csv")["eval_return_mean"]
    print(f"{preset}: eval returns {[round(float(r)) for r in curve]} in {seconds:.1f} s")
    assert summary["steps"] <= 20_000
    assert max(float(value) for value in curve) >= threshold
