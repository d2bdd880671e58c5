"""Same seed, same run: the evaluation runner's columns, eval included, are identical.

(``test_train_cli.test_same_seed_gives_identical_progress`` covers the training runner across
processes; checkpointing runs inside both, so it must consume no randomness.)
"""

from engine.cli import main
from tests.engine.test_train_cli import TIMING_KEYS, read_columns, write_spec


def test_same_seed_gives_identical_eval_runs(tmp_path):
    spec = write_spec(
        tmp_path / "spec.yaml",
        runner={
            "kind": "minibatch_eval",
            "n_steps": 1024,
            "log_interval_steps": 256,
            "checkpoint_interval_steps": 512,
        },
        sampler={
            "kind": "serial",
            "batch_T": 32,
            "batch_B": 8,
            "eval_n_envs": 2,
            "eval_max_steps": 400,
            "eval_max_trajectories": 4,
        },
    )
    runs = []
    for out in ("a", "b"):
        assert main(["train", str(spec), "--seed", "5", "--out", str(tmp_path / out)]) == 0
        runs.append(read_columns(tmp_path / out / "progress.csv"))
    a, b = runs
    assert a.keys() == b.keys()
    assert a["step"] == ["0", "256", "512", "768", "1024"]
    compared = set(a) - TIMING_KEYS
    assert {"eval_return_mean", "eval_episodes", "return_mean", "loss"} <= compared
    for key in compared:
        assert a[key] == b[key], key
