"""What a worker hands out to its runs: GPUs, one run per GPU.

A GPU worker (``rlboard worker --queues gpu --gpus 0,1``) runs at most one run per GPU; a run
asking for ``runner.world_size`` GPUs waits until that many are free on this worker and gets
them all (its ranks take GPU ``rank mod visible``), via ``CUDA_VISIBLE_DEVICES``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence


class GpuPool:
    """The GPU ids of a worker, handed out whole to runs."""

    def __init__(self, gpus: Sequence[str]):
        self.gpus = list(gpus)
        self._free = list(gpus)
        self._changed = threading.Condition()

    def acquire(self, count: int, still_wanted: Callable[[], bool], poll_s: float) -> list[str]:
        """Take ``count`` free GPUs, waiting for them; every ``poll_s`` while waiting,
        ``still_wanted()`` is asked and a False gives up (returns []). ValueError if this
        worker has fewer than ``count`` GPUs at all."""
        if count > len(self.gpus):
            raise ValueError(f"the run needs {count} GPUs; this worker has {len(self.gpus)} "
                             f"({','.join(self.gpus) or 'none'})")
        with self._changed:
            while len(self._free) < count:
                self._changed.wait(poll_s)
                if len(self._free) < count and not still_wanted():
                    return []
            taken, self._free = self._free[:count], self._free[count:]
            return taken

    def release(self, gpus: Sequence[str]) -> None:
        with self._changed:
            self._free.extend(gpus)
            self._free.sort(key=self.gpus.index)
            self._changed.notify_all()


def cuda_visible_devices(gpus: Sequence[str]) -> str:
    """``CUDA_VISIBLE_DEVICES`` for a run given ``gpus`` (empty: the run sees no GPU)."""
    return ",".join(gpus)
