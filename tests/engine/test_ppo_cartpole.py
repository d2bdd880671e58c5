"""Learning test: the example PPO spec solves CartPole-v1 within 100k steps on every seed."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples" / "ppo_cartpole.yaml"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ppo_solves_cartpole(seed, tmp_path):
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine",
            "train",
            str(SPEC),
            "--seed",
            str(seed),
            "--out",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    print(f"seed {seed}: return_mean {summary['return_mean']:.1f} in {seconds:.1f} s")
    assert summary["steps"] >= 100_000
    assert summary["return_mean"] >= 475
