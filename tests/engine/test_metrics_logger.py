"""Logger and sinks: progress.csv, metrics.jsonl, callbacks, NaN-free rows."""

import csv
import json

from engine.logging import CallbackSink, CsvSink, JsonlSink, Logger


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_csv_rewrites_header_when_a_key_appears_later(tmp_path):
    logger = Logger([CsvSink(tmp_path / "progress.csv")])
    logger.log(100, {"loss": 1.5})
    logger.log(200, {"loss": 0.5, "return_mean": 10.0})
    logger.log(300, {"return_mean": 20.0})
    logger.close()
    rows = read_csv(tmp_path / "progress.csv")
    assert list(rows[0]) == ["step", "wall_time", "loss", "return_mean"]
    assert [r["step"] for r in rows] == ["100", "200", "300"]
    assert [r["loss"] for r in rows] == ["1.5", "0.5", ""]
    assert [r["return_mean"] for r in rows] == ["", "10.0", "20.0"]
    assert all(float(r["wall_time"]) >= 0 for r in rows)


def test_csv_is_readable_while_the_run_goes_on(tmp_path):
    sink = CsvSink(tmp_path / "progress.csv")
    logger = Logger([sink])
    logger.log(1, {"a": 1.0})
    assert read_csv(tmp_path / "progress.csv")[0]["a"] == "1.0"
    logger.close()


def test_jsonl_format_is_one_flushed_object_per_row(tmp_path):
    path = tmp_path / "metrics.jsonl"
    logger = Logger([JsonlSink(path)])
    logger.log(256, {"return_mean": 9.5, "episodes": 3})
    lines = path.read_text().splitlines()  # readable before close: flushed per row
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert set(record) == {"step", "wall_time", "metrics"}
    assert record["step"] == 256 and isinstance(record["step"], int)
    assert isinstance(record["wall_time"], float) and record["wall_time"] >= 0
    assert record["metrics"] == {"return_mean": 9.5, "episodes": 3.0}
    logger.log(512, {"return_mean": 11.0})
    logger.close()
    assert [json.loads(line)["step"] for line in path.read_text().splitlines()] == [256, 512]


def test_callback_sink_and_non_finite_values_are_dropped(tmp_path):
    seen = []
    logger = Logger(
        [CallbackSink(lambda step, wall_time, metrics: seen.append((step, dict(metrics))))]
    )
    logger.log(10, {"grad_norm": float("nan"), "loss": float("inf"), "entropy": 0.5})
    assert seen == [(10, {"entropy": 0.5})]
    assert logger.latest == {"entropy": 0.5}
    logger.log(20, {"loss": 2.0})
    assert logger.latest == {"entropy": 0.5, "loss": 2.0}
