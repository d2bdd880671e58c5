"""A SAC run resumed from a checkpoint (serial, Pendulum-v1, replay in the checkpoint) logs the
values of the uninterrupted run: parameters, optimisers, alpha, the replay's contents and
cursor, the generators that sample from it and the exploration schedule all continue."""

import shutil

from engine.checkpoint import CHECKPOINT_NAME, load_checkpoint
from engine.cli import main
from tests.engine.test_resume import read_records
from tests.engine.test_train_cli import TIMING_KEYS, read_columns, write_spec

LOG_INTERVAL = 200
CHECKPOINT_INTERVAL = 400
N_STEPS = 1200


def test_resumed_sac_run_logs_the_uninterrupted_values(tmp_path):
    spec = write_spec(
        tmp_path / "spec.yaml",
        env={"id": "Pendulum-v1"},
        # Learning starts before the checkpoint, so the replay and optimisers matter.
        algo={
            "name": "SAC",
            "params": {"min_steps_learn": 300, "batch_size": 32, "replay_ratio": 16},
        },
        model={"hidden_sizes": [16, 16]},
        sampler={
            "kind": "serial",
            "batch_T": 2,
            "batch_B": 2,
            "eval_n_envs": 1,
            "eval_max_steps": 200,
            "eval_max_trajectories": 1,
        },
        runner={
            "kind": "minibatch_eval",
            "n_steps": N_STEPS,
            "log_interval_steps": LOG_INTERVAL,
            "checkpoint_interval_steps": CHECKPOINT_INTERVAL,
            "checkpoint_keep_interval_steps": CHECKPOINT_INTERVAL,
        },
    )
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    assert main(["train", str(spec), "--seed", "5", "--out", str(full)]) == 0

    # As if killed after the row at 2 * CHECKPOINT_INTERVAL + LOG_INTERVAL: the files hold
    # rows past the checkpoint, which the resumed run cuts and logs again.
    shutil.copytree(full, resumed)
    (resumed / "summary.json").unlink()
    kept = resumed / "checkpoints" / f"checkpoint_{2 * CHECKPOINT_INTERVAL}.pt"
    shutil.copyfile(kept, resumed / CHECKPOINT_NAME)
    checkpoint = load_checkpoint(resumed)
    assert checkpoint["algo"]["replay"]["t"] > 0 and checkpoint["counters"]["cum_updates"] > 0
    assert main(["train", str(spec), "--seed", "5", "--out", str(resumed), "--resume"]) == 0

    columns, expected = read_columns(resumed / "progress.csv"), read_columns(full / "progress.csv")
    assert columns["step"] == [str(s) for s in range(0, N_STEPS + 1, LOG_INTERVAL)]
    assert {"q1_loss", "pi_loss", "alpha", "eval_return_mean"} <= columns.keys()
    for key in expected.keys() - TIMING_KEYS:
        assert columns[key] == expected[key], key
    records, expected_records = read_records(resumed), read_records(full)
    assert [r["step"] for r in records] == [r["step"] for r in expected_records]
    for record, expected_record in zip(records, expected_records):
        for key in expected_record["metrics"].keys() - TIMING_KEYS:
            assert record["metrics"][key] == expected_record["metrics"][key], key
