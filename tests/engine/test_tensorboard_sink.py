"""TensorBoardSink: the logger's rows as TensorBoard scalars, in `rlboard train`'s --out too."""

import json

import pytest
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from engine.cli import main
from engine.logging import JsonlSink, Logger, TensorBoardSink


def read_scalars(log_dir) -> dict[str, list[tuple[int, float]]]:
    events = EventAccumulator(str(log_dir))
    events.Reload()
    return {
        tag: [(e.step, e.value) for e in events.Scalars(tag)]
        for tag in events.Tags()["scalars"]
    }


def test_event_file_holds_the_logged_rows(tmp_path):
    logger = Logger([TensorBoardSink(tmp_path), JsonlSink(tmp_path / "metrics.jsonl")])
    logger.log(100, {"return_mean": 1.5, "loss": 0.25})
    logger.log(200, {"return_mean": 3.0, "loss": float("nan")})  # dropped, as everywhere
    scalars = read_scalars(tmp_path)  # readable before close: flushed per row
    assert scalars == {"return_mean": [(100, 1.5), (200, 3.0)], "loss": [(100, 0.25)]}
    logger.close()
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    for row in rows:  # the same rows as metrics.jsonl
        for key, value in row["metrics"].items():
            assert (row["step"], value) in scalars[key]


def test_fresh_run_replaces_and_resumed_run_purges_later_points(tmp_path):
    sink = TensorBoardSink(tmp_path)
    for step in (1, 2, 3):
        sink.write(step, 0.0, {"x": float(step)})
    sink.close()
    resumed = TensorBoardSink(tmp_path, resume_step=2)
    resumed.write(3, 0.0, {"x": 30.0})
    resumed.close()
    assert read_scalars(tmp_path) == {"x": [(1, 1.0), (2, 2.0), (3, 30.0)]}

    fresh = TensorBoardSink(tmp_path)
    fresh.write(5, 0.0, {"y": 1.0})
    fresh.close()
    assert read_scalars(tmp_path) == {"y": [(5, 1.0)]}
    assert len(list(tmp_path.glob("events.out.tfevents.*"))) == 1


def test_train_writes_event_files_into_out(tmp_path):
    spec = {
        "env": {"id": "CartPole-v1"},
        "algo": {"name": "PPO"},
        "model": {"hidden_sizes": [16]},
        "sampler": {"batch_T": 32, "batch_B": 4},
        "runner": {"n_steps": 256, "log_interval_steps": 128},
        "device": "cpu",
    }
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    assert main(["train", str(tmp_path / "spec.yaml"), "--out", str(out)]) == 0
    scalars = read_scalars(out)
    assert [step for step, _ in scalars["loss"]] == [128, 256]
    summary = json.loads((out / "summary.json").read_text())
    assert scalars["loss"][-1][1] == pytest.approx(summary["loss"], rel=1e-6)  # float32 in TB
