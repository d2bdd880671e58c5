"""``train --resume``: a killed run continues from its checkpoint to the uninterrupted run's end.

Serial sampler, same seed: the resumed run's ``progress.csv`` and ``metrics.jsonl`` hold the
values of the uninterrupted run (timings aside), one row per step. Rows logged after the
checkpoint by the killed process are dropped on resume and logged again.
"""

import json
import shutil
import signal
import subprocess
import sys
import time

from engine.checkpoint import CHECKPOINT_NAME, load_checkpoint
from engine.cli import main
from tests.engine.test_train_cli import REPO, TIMING_KEYS, read_columns, run_cli, write_spec

BATCH = 32 * 8
LOG_INTERVAL = 2 * BATCH
CHECKPOINT_INTERVAL = 2 * LOG_INTERVAL  # a row between checkpoints, to be logged again
N_STEPS = 24 * BATCH


def resume_spec(tmp_path):
    return write_spec(
        tmp_path / "spec.yaml",
        runner={
            "kind": "minibatch_eval",
            "n_steps": N_STEPS,
            "log_interval_steps": LOG_INTERVAL,
            "checkpoint_interval_steps": CHECKPOINT_INTERVAL,
            "checkpoint_keep_interval_steps": CHECKPOINT_INTERVAL,
        },
        sampler={
            "kind": "serial",
            "batch_T": 32,
            "batch_B": 8,
            "eval_n_envs": 2,
            "eval_max_steps": 200,
            "eval_max_trajectories": 2,
        },
    )


def read_records(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def assert_same_run(out, reference):
    """Same step grid and values in both metric files and the summary, timings aside."""
    columns = read_columns(out / "progress.csv")
    expected = read_columns(reference / "progress.csv")
    assert columns.keys() == expected.keys()
    assert columns["step"] == [str(s) for s in [0, *range(LOG_INTERVAL, N_STEPS + 1, LOG_INTERVAL)]]
    for key in set(expected) - TIMING_KEYS:
        assert columns[key] == expected[key], key
    records, expected_records = read_records(out), read_records(reference)
    assert [r["step"] for r in records] == [r["step"] for r in expected_records]
    for record, expected_record in zip(records, expected_records):
        metrics, expected_metrics = record["metrics"], expected_record["metrics"]
        assert metrics.keys() == expected_metrics.keys()
        for key in set(expected_metrics) - TIMING_KEYS:
            assert metrics[key] == expected_metrics[key], (record["step"], key)
    summary = json.loads((out / "summary.json").read_text())
    expected_summary = json.loads((reference / "summary.json").read_text())
    for key in set(expected_summary) - TIMING_KEYS - {"seconds"}:
        assert summary[key] == expected_summary[key], key


def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path):
    spec = resume_spec(tmp_path)
    full, killed = tmp_path / "full", tmp_path / "killed"
    result = run_cli(str(spec), "--seed", "3", "--out", str(full))
    assert result.returncode == 0, result.stderr

    process = subprocess.Popen(
        [sys.executable, "-m", "engine", "train", str(spec), "--seed", "3", "--out", str(killed)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            checkpoint = load_checkpoint(killed) if (killed / CHECKPOINT_NAME).exists() else None
            if checkpoint and checkpoint["counters"]["cum_steps"] >= 2 * CHECKPOINT_INTERVAL:
                break
            time.sleep(0.01)
        assert process.poll() is None, "the run ended before its second checkpoint was seen"
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert not (killed / "summary.json").exists()
    step = load_checkpoint(killed)["counters"]["cum_steps"]
    assert 2 * CHECKPOINT_INTERVAL <= step < N_STEPS

    result = run_cli(str(spec), "--seed", "3", "--out", str(killed), "--resume")
    assert result.returncode == 0, result.stderr
    assert f"resuming from {killed / CHECKPOINT_NAME} at step" in result.stdout
    assert_same_run(killed, full)
    assert load_checkpoint(killed)["counters"]["cum_steps"] == N_STEPS


def test_rows_logged_after_the_checkpoint_are_logged_again(tmp_path):
    """A kill after a row was written but before the next checkpoint, made deterministic: the
    run's files are rolled back to an earlier kept checkpoint, plus a row cut in half."""
    spec = resume_spec(tmp_path)
    full, out = tmp_path / "full", tmp_path / "out"
    assert main(["train", str(spec), "--seed", "3", "--out", str(full)]) == 0
    shutil.copytree(full, out)
    (out / "summary.json").unlink()
    kept = out / "checkpoints" / f"checkpoint_{CHECKPOINT_INTERVAL}.pt"
    shutil.copyfile(kept, out / CHECKPOINT_NAME)
    with (out / "metrics.jsonl").open("a") as f:
        f.write('{"step": 999999, "wall_ti')

    assert main(["train", str(spec), "--seed", "3", "--out", str(out), "--resume"]) == 0
    assert_same_run(out, full)


def test_resume_without_checkpoint_starts_afresh(tmp_path, capsys):
    spec = resume_spec(tmp_path)
    out = tmp_path / "out"
    assert main(["train", str(spec), "--seed", "3", "--out", str(out), "--resume"]) == 0
    assert f"no {CHECKPOINT_NAME} in {out}: starting from scratch" in capsys.readouterr().out
    records = read_records(out)
    assert [r["step"] for r in records][:2] == [0, LOG_INTERVAL]
    assert records[-1]["step"] == N_STEPS


def test_resume_of_a_finished_run_does_nothing(tmp_path, capsys):
    spec = resume_spec(tmp_path)
    out = tmp_path / "out"
    assert main(["train", str(spec), "--seed", "3", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    capsys.readouterr()

    started = time.monotonic()
    assert main(["train", str(spec), "--seed", "3", "--out", str(out), "--resume"]) == 0
    assert time.monotonic() - started < 5
    assert "holds a finished run: nothing to resume" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_a_fresh_run_discards_an_earlier_runs_checkpoints(tmp_path):
    spec = resume_spec(tmp_path)
    out = tmp_path / "out"
    assert main(["train", str(spec), "--seed", "3", "--out", str(out)]) == 0
    short = write_spec(tmp_path / "short.yaml", runner={"kind": "minibatch", "n_steps": BATCH})
    assert main(["train", str(short), "--seed", "3", "--out", str(out)]) == 0
    assert load_checkpoint(out)["counters"]["cum_steps"] == BATCH
    assert not (out / "checkpoints").exists()
