"""Uniform sampling of valid transitions (rlpyt ``replays/non_sequence/uniform.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.replays.non_sequence.n_step import NStepReturnBuffer


class UniformReplay:
    """Mixin: ``sample_batch`` draws rows uniformly outside the window around the cursor."""

    T: int
    B: int
    t: int
    off_backward: int
    off_forward: int
    _buffer_full: bool
    extract_batch: Any

    def sample_batch(self, batch_B: int) -> Any:
        T_idxs, B_idxs = self.sample_idxs(batch_B)
        return self.extract_batch(T_idxs, B_idxs)

    def sample_idxs(self, batch_B: int) -> tuple[np.ndarray, np.ndarray]:
        """``(T_idxs, B_idxs)`` ``[batch_B]``, uniform over valid rows and all columns: rows
        ``[t + off_forward, t - off_backward)`` around the ring once full, else
        ``[off_forward, t - off_backward)`` (the same rows a ``SumTree`` turns on)."""
        t, b, f = self.t, self.off_backward, self.off_forward
        if self._buffer_full:
            T_idxs = (t + f + np.random.randint(self.T - b - f, size=batch_B)) % self.T
        else:
            if t - b <= f:
                raise ValueError(f"replay holds no valid sample yet (cursor {t})")
            T_idxs = np.random.randint(f, t - b, size=batch_B)
        return T_idxs, np.random.randint(self.B, size=batch_B)


class UniformReplayBuffer(UniformReplay, NStepReturnBuffer):
    """Uniform replay of n-step transitions, time-limit aware when ``timeout`` is stored."""
