"""Where logged rows go. Every sink receives ``(step, wall_time, metrics)`` for each row."""

from __future__ import annotations

import csv
import json
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from torch.utils.tensorboard import SummaryWriter


class Sink(ABC):
    """Base class of every metrics sink."""

    @abstractmethod
    def write(self, step: int, wall_time: float, metrics: Mapping[str, float]) -> None:
        """Record one row: ``step`` is the cumulative env step count, ``wall_time`` seconds
        since the run started; ``metrics`` holds only finite values."""

    def close(self) -> None:
        """Flush and release resources."""


def _complete_lines(path: Path) -> list[str]:
    """The lines of ``path`` that end with a newline: a row cut short by a kill is dropped."""
    return [line for line in path.read_text().splitlines(keepends=True) if line.endswith("\n")]


class CsvSink(Sink):
    """``progress.csv``: columns ``step, wall_time`` then metric keys in order of appearance.

    A key that first appears in a later row rewrites the whole file with the wider header;
    rows lacking a key leave its cell empty. Rows are few (one per log interval), so all are
    kept in memory for that. ``resume_step``: continue the existing file of a resumed run,
    keeping its rows up to that step (later ones are logged again by the resumed run).
    """

    def __init__(self, path: str | Path, resume_step: int | None = None) -> None:
        self.path = Path(path)
        self._columns = ["step", "wall_time"]
        self._rows: list[dict[str, float | str]] = []
        if resume_step is not None and self.path.exists():
            reader = csv.DictReader(_complete_lines(self.path))
            self._columns = list(reader.fieldnames or self._columns)
            self._rows = [row for row in reader if int(row["step"]) <= resume_step]
        self._file = self.path.open("w", newline="")
        self._writer = self._new_writer()
        self._writer.writerows(self._rows)
        self._file.flush()

    def _new_writer(self) -> csv.DictWriter:
        writer = csv.DictWriter(self._file, fieldnames=self._columns, restval="")
        writer.writeheader()
        return writer

    def write(self, step: int, wall_time: float, metrics: Mapping[str, float]) -> None:
        row = {"step": step, "wall_time": wall_time, **metrics}
        self._rows.append(row)
        new_keys = [key for key in metrics if key not in self._columns]
        if new_keys:
            self._columns += new_keys
            self._file.seek(0)
            self._file.truncate()
            self._writer = self._new_writer()
            self._writer.writerows(self._rows)
        else:
            self._writer.writerow(row)
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class JsonlSink(Sink):
    """``metrics.jsonl``: one ``{"step", "wall_time", "metrics": {...}}`` object per line,
    flushed at once (the worker tails this file and forwards points to the backend).
    ``resume_step``: as for ``CsvSink``, keep the existing rows up to that step and append."""

    def __init__(self, path: str | Path, resume_step: int | None = None) -> None:
        self.path = Path(path)
        kept: list[str] = []
        if resume_step is not None and self.path.exists():
            kept = [
                line
                for line in _complete_lines(self.path)
                if json.loads(line)["step"] <= resume_step
            ]
        self._file = self.path.open("w")
        self._file.writelines(kept)
        self._file.flush()

    def write(self, step: int, wall_time: float, metrics: Mapping[str, float]) -> None:
        record = {"step": int(step), "wall_time": float(wall_time), "metrics": dict(metrics)}
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class TensorBoardSink(Sink):
    """TensorBoard event files in ``log_dir``: one scalar per metric key, tagged by the key.

    Written by ``torch.utils.tensorboard.SummaryWriter``: torch is an engine dependency anyway,
    so the ``tensorboard`` package (no TensorFlow) is all this needs, and its writer is stable
    API where tensorboard's own ``tensorboard.summary.Writer`` is marked experimental. Flushed
    per row, like the other sinks. A fresh run removes the event files of an earlier run in
    ``log_dir``; ``resume_step``: TensorBoard discards the points logged after that step by the
    run being resumed, since the resumed run logs them again.
    """

    def __init__(self, log_dir: str | Path, resume_step: int | None = None) -> None:
        self.log_dir = Path(log_dir)
        if resume_step is None:
            for path in self.log_dir.glob("events.out.tfevents.*"):
                path.unlink()
        purge_step = None if resume_step is None else resume_step + 1
        self._writer = SummaryWriter(str(self.log_dir), purge_step=purge_step)

    def write(self, step: int, wall_time: float, metrics: Mapping[str, float]) -> None:
        for key, value in metrics.items():
            self._writer.add_scalar(key, value, step)
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


class CallbackSink(Sink):
    """Calls ``fn(step, wall_time, metrics)`` for every row."""

    def __init__(self, fn: Callable[[int, float, Mapping[str, float]], None]) -> None:
        self.fn = fn

    def write(self, step: int, wall_time: float, metrics: Mapping[str, float]) -> None:
        self.fn(step, wall_time, metrics)


class ConsoleSink(Sink):
    """One human-readable line per row, for watching a run from a terminal or a worker log."""

    def __init__(
        self,
        keys: tuple[str, ...] = ("return_mean", "episodes", "steps_per_second"),
        stream: TextIO | None = None,
    ) -> None:
        self.keys = keys
        self.stream = stream or sys.stdout

    def write(self, step: int, wall_time: float, metrics: Mapping[str, float]) -> None:
        shown = " ".join(f"{key}={metrics[key]:.6g}" for key in self.keys if key in metrics)
        print(f"step={step} wall_time={wall_time:.1f}s {shown}", file=self.stream, flush=True)
