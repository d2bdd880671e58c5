"""Where logged rows go. Every sink receives ``(step, wall_time, metrics)`` for each row."""

from __future__ import annotations

import csv
import json
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO


class Sink(ABC):
    """Base class of every metrics sink."""

    @abstractmethod
    def write(self, step: int, wall_time: float, metrics: Mapping[str, float]) -> None:
        """Record one row: ``step`` is the cumulative env step count, ``wall_time`` seconds
        since the run started; ``metrics`` holds only finite values."""

    def close(self) -> None:
        """Flush and release resources."""


class CsvSink(Sink):
    """``progress.csv``: columns ``step, wall_time`` then metric keys in order of appearance.

    A key that first appears in a later row rewrites the whole file with the wider header;
    rows lacking a key leave its cell empty. Rows are few (one per log interval), so all are
    kept in memory for that.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._columns = ["step", "wall_time"]
        self._rows: list[dict[str, float]] = []
        self._file = self.path.open("w", newline="")
        self._writer = self._new_writer()

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
    flushed at once (the worker tails this file and forwards points to the backend)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = self.path.open("w")

    def write(self, step: int, wall_time: float, metrics: Mapping[str, float]) -> None:
        record = {"step": int(step), "wall_time": float(wall_time), "metrics": dict(metrics)}
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


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
