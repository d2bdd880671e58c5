"""Training modes side by side: minibatch (one process) vs sync (2 data-parallel ranks) vs async
(sampler, memory copiers and optimizer in their own processes), for DQN on CartPole-v1 and SAC
on Pendulum-v1, all measured in one run of this script.

    .venv/bin/python benchmarks/modes.py [--dqn-steps 30000] [--sac-steps 4000]

Each case trains the preset (``cartpole_dqn``, ``pendulum_sac``) with its runner kind swapped
(``minibatch_eval``, ``sync_eval`` with ``world_size 2``, ``async_eval``), seed 0, on the CPU.
Steps/s and updates/s are the medians of the rows' ``steps_per_second`` and
``updates_per_second`` after the first row (which holds the steps before learning starts);
the final return is the last row's ``eval_return_mean``. Sync is rlpyt's weak scaling: both
ranks sample the preset's batch and average their gradients, so it makes half the updates per
env step of the other two. The load average is printed at the end: on a shared machine the
modes compete with whatever else runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from engine.build import build_runner
from engine.spec import ExperimentSpec, load_spec

MODES = {
    "minibatch": {"kind": "minibatch_eval"},
    "sync (2 ranks)": {"kind": "sync_eval", "world_size": 2},
    "async": {"kind": "async_eval"},
}


def run_case(preset: str, n_steps: int, runner: dict[str, Any], out: Path) -> dict[str, float]:
    spec = load_spec(f"preset:{preset}").model_dump(mode="json")
    spec["runner"] = {**runner, "n_steps": n_steps, "log_interval_steps": n_steps // 5}
    start = time.perf_counter()
    build_runner(ExperimentSpec.model_validate(spec), seed=0, out_dir=out).train()
    seconds = time.perf_counter() - start
    rows = [json.loads(line)["metrics"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    train_rows = [row for row in rows if "steps_per_second" in row][1:]
    return {
        "seconds": seconds,
        "steps_per_second": statistics.median(r["steps_per_second"] for r in train_rows),
        "updates_per_second": statistics.median(r["updates_per_second"] for r in train_rows),
        "final_return": rows[-1]["eval_return_mean"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dqn-steps", type=int, default=30_000)
    parser.add_argument("--sac-steps", type=int, default=4_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cases = [("DQN CartPole-v1", "cartpole_dqn", args.dqn_steps),
             ("SAC Pendulum-v1", "pendulum_sac", args.sac_steps)]
    header = (f"| {'case':<16} | {'mode':<15} | {'steps':>6} | {'wall s':>6} | {'steps/s':>8} "
              f"| {'updates/s':>9} | {'final eval return':>17} |")
    lines = [header, "|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|"]
    with tempfile.TemporaryDirectory() as tmp:
        for label, preset, n_steps in cases:
            for mode, runner in MODES.items():
                result = run_case(preset, n_steps, runner, Path(tmp) / f"{preset}-{mode[:5]}")
                lines.append(
                    f"| {label:<16} | {mode:<15} | {n_steps:>6} | {result['seconds']:>6.0f} "
                    f"| {result['steps_per_second']:>8.0f} | {result['updates_per_second']:>9.1f} "
                    f"| {result['final_return']:>17.1f} |"
                )
                print(lines[-1], flush=True)
    print()
    print("\n".join(lines))
    print(f"\n{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
