"""Forwarding of an engine process's metric rows to the API's ingest endpoint.

The engine appends one JSON object per logged row to ``metrics.jsonl``::

    {"step": 8192, "wall_time": 12.5, "metrics": {"return_mean": 21.3, "loss": 0.41}}

``MetricsTail`` reads the complete lines added since the last read and ``MetricsForwarder``
turns them into points and posts them in batches. Points that could not be sent (the API
unreachable or restarting, its database restarting: a transport error or a 5xx) stay queued
in order and are sent again after a backoff; ingest is idempotent on (run, key, step), so a
batch that reached the server although its response was lost is stored once. A batch the
API rejects (another 4xx) would be rejected again and is dropped, loudly.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import deque
from pathlib import Path
from typing import Any

import httpx

from backend.client import RlboardClient

log = logging.getLogger(__name__)

Point = dict[str, Any]

# The wait after a failed send doubles from the first to the last; each is cut to between
# half and all of it at random, so the workers of a restarted API do not all return at once.
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 10.0


def is_retryable(exc: httpx.HTTPError) -> bool:
    """Whether a failed send may succeed later: the server was unreachable or timed out, or
    answered 5xx, 408 or 429. Any other status would be the same next time."""
    if isinstance(exc, httpx.HTTPStatusError):
        code = exc.response.status_code
        return code >= 500 or code in (408, 429)
    return True


def _retry_after_s(exc: httpx.HTTPError) -> float:
    """The server's Retry-After in seconds (0 when it gave none, or a date)."""
    if not isinstance(exc, httpx.HTTPStatusError):
        return 0.0
    try:
        return float(exc.response.headers.get("Retry-After", 0))
    except ValueError:
        return 0.0


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
    the bearer token when the API requires one. After a retryable failure nothing is sent
    until the backoff has passed; ``dropped`` counts points the API rejected.
    """

    def __init__(self, api_url: str, run_id: int, token: str | None = None,
                 batch_size: int = 1000, timeout_s: float = 10,
                 max_backoff_s: float = BACKOFF_MAX_S):
        self.run_id = run_id
        self.batch_size = batch_size
        self.max_backoff_s = max_backoff_s
        self.pending: deque[Point] = deque()
        self.dropped = 0
        self._client = RlboardClient(api_url, token=token, timeout_s=timeout_s)
        self._backoff_s = min(BACKOFF_FIRST_S, max_backoff_s)
        self._retry_at = 0.0  # time.monotonic() before which a send is not tried

    def add(self, points: list[Point]) -> None:
        self.pending.extend(points)

    def flush(self) -> bool:
        """Send everything pending; False if some points are still waiting (server unreachable
        or failing, now or at the last try less than a backoff ago)."""
        while self.pending:
            if time.monotonic() < self._retry_at:
                return False
            batch = [self.pending[i] for i in range(min(self.batch_size, len(self.pending)))]
            try:
                self._client.ingest_metrics(self.run_id, batch)
            except httpx.HTTPError as exc:  # transport errors and ApiError alike
                if is_retryable(exc):
                    self._back_off(exc)
                    return False
                log.error("run %d: the API rejected %d metric points; dropped: %s",
                          self.run_id, len(batch), exc)
                self.dropped += len(batch)
            else:
                self._backoff_s = min(BACKOFF_FIRST_S, self.max_backoff_s)
            for _ in batch:
                self.pending.popleft()
        return True

    def _back_off(self, exc: httpx.HTTPError) -> None:
        wait_s = max(self._backoff_s * random.uniform(0.5, 1.0), _retry_after_s(exc))
        self._retry_at = time.monotonic() + wait_s
        self._backoff_s = min(2 * self._backoff_s, self.max_backoff_s)
        log.warning("run %d: metrics not sent yet (%d pending), next try in %.1f s: %s",
                    self.run_id, len(self.pending), wait_s, exc)

    def flush_until(self, deadline_s: float) -> bool:
        """Retry ``flush`` (with its backoff) until it succeeds or ``deadline_s`` seconds have
        passed; the last try is at the deadline at the latest."""
        give_up = time.monotonic() + deadline_s
        while not self.flush():
            now = time.monotonic()
            if now >= give_up:
                return False
            self._retry_at = min(self._retry_at, give_up)
            time.sleep(max(0.0, self._retry_at - now))
        return True

    def close(self) -> None:
        self._client.close()
