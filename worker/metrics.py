"""Forwarding of an engine process's metric rows to the API's ingest endpoint.

The engine appends one JSON object per logged row to ``metrics.jsonl``::

    {"step": 8192, "wall_time": 12.5, "metrics": {"return_mean": 21.3, "loss": 0.41}}

``MetricsTail`` reads the complete lines added since the last read and ``MetricsForwarder``
turns them into points and posts them in batches. Points that could not be sent stay queued
(in order) and go with the next attempt; ingest is idempotent on (run, key, step), so a batch
that reached the server although its response was lost is harmless to send again.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from pathlib import Path
from typing import Any

import httpx

from backend.client import RlboardClient

log = logging.getLogger(__name__)

Point = dict[str, Any]


class MetricsTail:
    """Reads the complete JSON lines appended to a file since the previous call.

    A resumed engine rewrites the file (its rows up to the checkpoint, then new ones), so each
    read first checks that the last line it read is still where it was; if not, it reads the
    file again from the start (re-sent points are harmless: ingest is idempotent).
    """

    def __init__(self, path: Path):
        self.path = path
        self._offset = 0
        self._last_line = b""
        self.last_step: int | None = None

    def read_points(self) -> list[Point]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as f:
            f.seek(self._offset - len(self._last_line))
            if f.read(len(self._last_line)) != self._last_line:
                self._offset, self._last_line = 0, b""
                f.seek(0)
            chunk = f.read()
        # A row still being written has no newline yet: leave it for the next read.
        end = chunk.rfind(b"\n") + 1
        self._offset += end
        points: list[Point] = []
        for line in chunk[:end].splitlines():
            if not line.strip():
                continue
            self._last_line = line + b"\n"
            row = json.loads(line)
            self.last_step = int(row["step"])
            points.extend(
                {"key": key, "step": row["step"], "value": value, "wall_time": row["wall_time"]}
                for key, value in row["metrics"].items()
            )
        return points


class MetricsForwarder:
    """Posts points to ``POST /api/v1/runs/{run_id}/metrics`` in batches, keeping what failed.

    ``token`` is the worker's own API token (``RLBOARD_WORKER_TOKEN``, write scope), sent as
    the bearer token when the API requires one.
    """

    def __init__(self, api_url: str, run_id: int, token: str | None = None,
                 batch_size: int = 1000, timeout_s: float = 10):
        self.run_id = run_id
        self.batch_size = batch_size
        self.pending: deque[Point] = deque()
        self._client = RlboardClient(api_url, token=token, timeout_s=timeout_s)

    def add(self, points: list[Point]) -> None:
        self.pending.extend(points)

    def flush(self) -> bool:
        """Send everything pending; False if some points are still waiting (server unreachable)."""
        while self.pending:
            batch = [self.pending[i] for i in range(min(self.batch_size, len(self.pending)))]
            try:
                self._client.ingest_metrics(self.run_id, batch)
            except httpx.HTTPError as exc:  # transport errors and ApiError alike
                log.warning("metrics not sent yet (%d pending): %s", len(self.pending), exc)
                return False
            for _ in batch:
                self.pending.popleft()
        return True

    def flush_until(self, deadline_s: float, retry_every_s: float = 1.0) -> bool:
        """Retry ``flush`` until it succeeds or ``deadline_s`` seconds have passed."""
        give_up = time.monotonic() + deadline_s
        while not self.flush():
            if time.monotonic() >= give_up:
                return False
            time.sleep(retry_every_s)
        return True

    def close(self) -> None:
        self._client.close()
