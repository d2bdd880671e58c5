"""Per-token rate limits on writes: in-process token buckets.

Each (bucket, token) pair holds up to ``burst`` permits and regains ``rate`` a second; a
write takes one, and with none left it is refused with how long until one is back (429 with
Retry-After). The state lives in this process: several API processes each allow the rate.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from backend.services.errors import RateLimitError

#: Buckets kept before the full (idle) ones are dropped; a full bucket is the same as none.
MAX_BUCKETS = 10_000


@dataclass
class _Bucket:
    permits: float
    updated: float  # time.monotonic() of the last refill
    rate: float
    burst: int

    def refill(self, now: float) -> float:
        """The permits at ``now``."""
        return min(self.burst, self.permits + (now - self.updated) * self.rate)


class RateLimiter:
    """Token buckets by key; thread-safe (sync routes run in a thread pool)."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, int], _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, bucket: str, token_id: int, rate: float, burst: int, what: str) -> None:
        """Take one permit of ``bucket`` for token ``token_id``, else RateLimitError naming
        ``what`` was limited. ``rate`` 0 (or a burst below 1) means no limit."""
        if rate <= 0 or burst < 1:
            return
        now = time.monotonic()
        with self._lock:
            state = self._buckets.get((bucket, token_id))
            if state is None:
                if len(self._buckets) >= MAX_BUCKETS:
                    self._drop_full(now)
                state = self._buckets[(bucket, token_id)] = _Bucket(burst, now, rate, burst)
            state.rate, state.burst = rate, burst
            state.permits = state.refill(now)
            state.updated = now
            if state.permits < 1:
                wait_s = (1 - state.permits) / rate
                raise RateLimitError(
                    f"rate limit: at most {rate:g} {what} a second (bursts of {burst}) per "
                    f"token; retry in {wait_s:.1f} s",
                    retry_after_s=math.ceil(wait_s),
                )
            state.permits -= 1

    def _drop_full(self, now: float) -> None:
        """Forget the buckets that have refilled (they would allow a whole burst anyway)."""
        for key, state in list(self._buckets.items()):
            if state.refill(now) >= state.burst:
                del self._buckets[key]
