"""Learning benchmark: each algorithm's preset on 3 seeds, against the bars of issue 4.

Every case trains a shipped preset (``engine/presets/``) with ``python -m engine train`` in a
subprocess, one seed per process, ``--jobs`` at a time, and reads the run's ``metrics.jsonl``.
The score is ``eval_return_mean`` where the run evaluates, else ``return_mean``. A seed passes
when the score reaches the bar within the step budget (and, for "hold" cases, is still at or
above it at the last row); a case passes when at least 2 of its 3 seeds do. "below" cases are
the feed-forward controls of the memory tests: they pass when the final score stays under the
bar, showing that the recurrent agent's result needs its memory.

    .venv/bin/python -m benchmarks.learning [--seeds 0 1 2] [--jobs 2] [--cases PPO SAC]

Prints a markdown table; the full logs stay under ``--out`` (default: a temporary folder).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.spec import load_spec

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Case:
    name: str
    preset: str
    bar: float
    within_steps: int | None = None  # None: by the end of the run
    hold: bool = False  # the last row must also be at or above the bar
    below: bool = False  # a control: passes when the final score stays under the bar
    overrides: dict[str, Any] = field(default_factory=dict)  # dotted spec path -> value


CASES = [
    Case("PPO CartPole", "cartpole_ppo", 475, within_steps=50_000, hold=True),
    Case("A2C CartPole", "cartpole_a2c", 475, within_steps=100_000, hold=True),
    Case("DQN double+dueling+prioritized+3-step CartPole", "cartpole_dqn", 450, 100_000, True),
    Case("CategoricalDQN CartPole", "cartpole_catdqn", 450, within_steps=100_000, hold=True),
    Case("SAC Pendulum", "pendulum_sac", -250, within_steps=20_000),
    Case("TD3 Pendulum", "pendulum_td3", -250, within_steps=20_000),
    Case("DDPG Pendulum", "pendulum_ddpg", -400, within_steps=20_000),
    Case("Recurrent PPO CartPole without velocities", "cartpole_ppo_lstm", 400),
    Case(
        "Feed-forward PPO, same budget (control)",
        "cartpole_ppo_lstm",
        250,
        below=True,
        overrides={"model.recurrent": False},
    ),
    Case("R2D1 CartPole without velocities", "cartpole_r2d1", 400),
]


def spec_document(case: Case) -> dict[str, Any]:
    """The preset's spec as a plain document, with the case's overrides applied."""
    document = load_spec(f"preset:{case.preset}").model_dump(mode="json")
    for path, value in case.overrides.items():
        *parents, leaf = path.split(".")
        node = document
        for key in parents:
            node = node[key]
        node[leaf] = value
    return document


def train(case: Case, seed: int, out_dir: Path, reuse: bool = False) -> dict[str, Any]:
    """Train one seed (or, with ``reuse``, read a finished run kept in ``out_dir``); return its
    score curve ``[(step, score)]``, wall seconds and any error."""
    summary_path = out_dir / "summary.json"
    if reuse and summary_path.exists():
        seconds = json.loads(summary_path.read_text())["seconds"]
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        spec_path = out_dir / "spec.yaml"
        spec_path.write_text(yaml.safe_dump(spec_document(case)))
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "engine", "train", str(spec_path), "--seed", str(seed),
             "--out", str(out_dir)],
            cwd=REPO, capture_output=True, text=True, check=False,
        )
        seconds = time.perf_counter() - start
        if result.returncode != 0:
            error = result.stderr.strip().splitlines()[-1]
            return {"curve": [], "seconds": seconds, "error": error}
    lines = (out_dir / "metrics.jsonl").read_text().splitlines()
    rows = [(record["step"], record["metrics"]) for record in map(json.loads, lines)]
    key = "eval_return_mean" if any("eval_return_mean" in m for _, m in rows) else "return_mean"
    curve = [(step, metrics[key]) for step, metrics in rows if key in metrics]
    return {"curve": curve, "seconds": seconds, "error": None}


def judge(case: Case, run: dict[str, Any]) -> tuple[bool, str]:
    """Whether one seed passes, and a short account: first step at the bar, final score."""
    curve = run["curve"]
    if run["error"] or not curve:
        return False, f"error: {run['error'] or 'no score logged'}"
    final = curve[-1][1]
    if case.below:
        return final < case.bar, f"final {final:.0f}"
    reached = next((step for step, score in curve if score >= case.bar), None)
    ok = reached is not None and (case.within_steps is None or reached <= case.within_steps)
    ok = ok and (not case.hold or final >= case.bar)
    at = "never" if reached is None else f"{reached // 1000}k"
    return ok, f"bar at {at}, final {final:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--jobs", type=int, default=2, help="training processes at a time")
    parser.add_argument("--cases", nargs="*", help="substrings of case names to run")
    parser.add_argument("--out", type=Path, default=None, help="where runs are kept")
    parser.add_argument(
        "--reuse", action="store_true", help="read finished runs kept in --out, train the rest"
    )
    args = parser.parse_args()

    cases = [c for c in CASES if not args.cases or any(s in c.name for s in args.cases)]
    out = args.out or Path(tempfile.mkdtemp(prefix="rlboard-learning-"))
    def run_dir(case: Case, seed: int) -> Path:
        return out / case.preset / f"{case.name}-{seed}".replace(" ", "_").replace(",", "")

    jobs = [(i, seed) for i, case in enumerate(cases) for seed in args.seeds]
    with ThreadPoolExecutor(args.jobs) as pool:
        runs = list(pool.map(
            lambda job: train(cases[job[0]], job[1], run_dir(cases[job[0]], job[1]), args.reuse),
            jobs,
        ))
    results = dict(zip(jobs, runs, strict=True))  # (case index, seed) -> run

    need = 2 if len(args.seeds) >= 3 else len(args.seeds)
    print(f"| case | bar | {' | '.join(f'seed {s}' for s in args.seeds)} | passed | result | "
          "minutes/seed |")
    print(f"|---|---|{'---|' * len(args.seeds)}---|---|---:|")
    for i, case in enumerate(cases):
        verdicts = [judge(case, results[(i, seed)]) for seed in args.seeds]
        passed = sum(ok for ok, _ in verdicts)
        bar = f"< {case.bar:g}" if case.below else f">= {case.bar:g}" + (
            f" within {case.within_steps // 1000}k" if case.within_steps else ""
        ) + (", held" if case.hold else "")
        minutes = sum(results[(i, s)]["seconds"] for s in args.seeds) / len(args.seeds) / 60
        cells = " | ".join(f"{'ok' if ok else 'FAIL'}: {text}" for ok, text in verdicts)
        verdict = "PASS" if passed >= need else "FAIL"
        print(f"| {case.name} | {bar} | {cells} | {passed}/{len(args.seeds)} | {verdict} | "
              f"{minutes:.1f} |")
    print(f"\nruns kept in {out}")


if __name__ == "__main__":
    main()
