"""The logger: stamps rows of metrics and fans them out to sinks."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

from engine.logging.sinks import Sink


class Logger:
    """Receives ``{key: float}`` rows at a step and passes them to every sink.

    ``wall_time`` is measured from the logger's creation (the run start). Non-finite values are
    dropped, so sinks only ever see finite numbers. ``latest`` keeps the last value of every key.
    """

    def __init__(self, sinks: Sequence[Sink] = ()) -> None:
        self.sinks = list(sinks)
        self.latest: dict[str, float] = {}
        self._start = time.perf_counter()

    @property
    def wall_time(self) -> float:
        return time.perf_counter() - self._start

    def log(self, step: int, metrics: Mapping[str, float]) -> None:
        row = {key: float(value) for key, value in metrics.items() if math.isfinite(value)}
        self.latest.update(row)
        wall_time = self.wall_time
        for sink in self.sinks:
            sink.write(int(step), wall_time, row)

    def state_dict(self) -> dict[str, Any]:
        """Wall time and last values, so that a resumed run's rows continue the curve."""
        return {"wall_time": self.wall_time, "latest": dict(self.latest)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        # Wall time resumes from the checkpoint's: time spent dead does not count.
        self._start = time.perf_counter() - state["wall_time"]
        self.latest = dict(state["latest"])

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()
