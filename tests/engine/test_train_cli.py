"""``python -m engine train``: outputs, reproducibility, evaluation runner, failures."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import yaml

from engine.cli import main

REPO = Path(__file__).resolve().parents[2]
TIMING_KEYS = {"wall_time", "steps_per_second", "updates_per_second"}


def write_spec(path: Path, **sections) -> Path:
    spec = {
        "name": "cli-test",
        "env": {"id": "CartPole-v1"},
        "algo": {"name": "PPO", "params": {"learning_rate": 3e-3, "gae_lambda": 0.95}},
        "model": {"hidden_sizes": [32, 32]},
        "sampler": {"kind": "serial", "batch_T": 32, "batch_B": 8},
        "runner": {"kind": "minibatch", "n_steps": 4096, "log_interval_steps": 1024},
        "device": "cpu",
        "seeds": [7],
    }
    spec.update(sections)
    path.write_text(yaml.safe_dump(spec))
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", "train", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def read_columns(path: Path) -> dict[str, list[str]]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {key: [row[key] for row in rows] for key in rows[0]}


def test_same_seed_gives_identical_progress(tmp_path):
    spec = write_spec(tmp_path / "spec.yaml")
    for out in ("a", "b"):
        result = run_cli(str(spec), "--seed", "3", "--out", str(tmp_path / out))
        assert result.returncode == 0, result.stderr
    a, b = (
        read_columns(tmp_path / "a" / "progress.csv"),
        read_columns(tmp_path / "b" / "progress.csv"),
    )
    assert a.keys() == b.keys()
    assert a["step"] == ["1024", "2048", "3072", "4096"]
    compared = set(a) - TIMING_KEYS
    assert {"return_mean", "loss", "episodes", "entropy"} <= compared
    for key in compared:
        assert a[key] == b[key], key

    assert main(["train", str(spec), "--seed", "4", "--out", str(tmp_path / "c")]) == 0
    c = read_columns(tmp_path / "c" / "progress.csv")
    assert c["loss"] != a["loss"]


def test_outputs_of_a_run(tmp_path):
    spec = write_spec(tmp_path / "spec.yaml")
    out = tmp_path / "run"
    assert main(["train", str(spec), "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} >= {
        "spec.json",
        "progress.csv",
        "metrics.jsonl",
        "summary.json",
    }

    resolved = json.loads((out / "spec.json").read_text())
    assert resolved["algo"]["params"]["learning_rate"] == 3e-3
    assert resolved["algo"]["params"]["epochs"] == 4  # defaults are filled in
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 7  # the spec's first seed
    assert summary["steps"] == 4096 and summary["seconds"] > 0
    for key in (
        "return_mean",
        "return_std",
        "return_min",
        "return_max",
        "episode_length_mean",
        "episodes",
        "steps_per_second",
        "updates_per_second",
        "loss",
        "policy_loss",
        "value_loss",
        "entropy",
        "grad_norm",
        "clip_fraction",
        "learning_rate",
    ):
        assert key in summary, key

    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1024, 2048, 3072, 4096]
    assert records[-1]["metrics"]["return_mean"] == summary["return_mean"]
    assert all(r["wall_time"] <= summary["seconds"] for r in records)


def test_eval_runner_logs_eval_return_from_step_zero(tmp_path):
    spec = write_spec(
        tmp_path / "spec.yaml",
        runner={"kind": "minibatch_eval", "n_steps": 512, "log_interval_steps": 256},
        sampler={
            "kind": "serial",
            "batch_T": 32,
            "batch_B": 8,
            "eval_n_envs": 2,
            "eval_max_steps": 400,
            "eval_max_trajectories": 4,
        },
    )
    out = tmp_path / "run"
    assert main(["train", str(spec), "--out", str(out)]) == 0
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [0, 256, 512]
    assert set(records[0]["metrics"]) >= {"eval_return_mean", "eval_episodes"}
    assert "return_mean" not in records[0]["metrics"]  # no training episode yet: no NaN, no key
    assert all("eval_return_mean" in r["metrics"] for r in records)
    assert "loss" in records[-1]["metrics"]


def test_failure_exits_1_with_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    typo = {"env": {"id": "CartPole-v1"}, "algo": {"name": "PPO", "params": {"learning_rat": 1}}}
    bad.write_text(yaml.safe_dump(typo))
    result = run_cli(str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "learning_rat" in result.stderr
