"""Ring storage with n-step returns computed as data arrives (rlpyt ``replays/n_step.py``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from engine.replays.base import BaseReplayBuffer
from engine.utils.buffer import buffer_from_example, numpify_buffer
from engine.utils.collections import namedarraytuple_like


def discount_return_n_step(
    reward: np.ndarray,
    done: np.ndarray,
    n_step: int,
    discount: float,
    timeout: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """n-step returns of ``T`` steps from ``[T + n_step - 1, B]`` rewards and dones.

    ``return_[t] = sum_{k<n} discount^k reward[t+k]``, cut after the first done in the window;
    ``done_n[t]``: a done within ``t .. t+n-1``; ``timeout_n[t]`` (if ``timeout`` is given):
    that first done is a time-limit cut (``timeout`` implies ``done``), so the return cannot be
    bootstrapped and the sample must be masked. Returns ``(return_, done_n, timeout_n)`` [T, B].
    """
    T = len(reward) - (n_step - 1)
    return_ = reward[:T].astype(np.float32, copy=True)
    not_done = ~done[:T].astype(bool)  # no done yet at t .. t+k-1
    timeout_n = None if timeout is None else timeout[:T].astype(bool, copy=True)
    for k in range(1, n_step):
        return_ += (discount**k) * reward[k : k + T] * not_done
        if timeout_n is not None:
            timeout_n |= timeout[k : k + T].astype(bool) & not_done
        not_done &= ~done[k : k + T].astype(bool)
    return return_, ~not_done, timeout_n


class BaseNStepReturnBuffer(BaseReplayBuffer):
    """``[T, B]`` ring of ``SamplesToBuffer`` with n-step returns, ``T = ceil(size / B)``.

    ``example``: one step of the algorithm's ``SamplesToBuffer`` namedtuple (no leading dims)
    with at least ``observation, action, reward, done``; a ``timeout`` field makes the buffer
    time-limit aware (``samples_timeout_n``); any other fields are stored as given.

    ``samples_return_ [T, B]`` (float32) and ``samples_done_n [T, B]`` (bool) are filled for a
    row once its whole n-step window has arrived (with ``n_step_return == 1`` they are views of
    ``reward`` and ``done``). Rows ``[t - off_backward, t + off_forward)`` around the cursor
    ``t`` are never sampled: the newest ``n_step_return`` rows lack their target (or their full
    window), the row at ``t`` is the oldest and its predecessor (``prev_action``) is gone.
    """

    def __init__(
        self,
        example: Any,
        size: int,
        B: int,
        discount: float = 1.0,
        n_step_return: int = 1,
        share_memory: bool = False,
    ) -> None:
        super().__init__(share_memory)
        if n_step_return < 1:
            raise ValueError(f"n_step_return must be >= 1, got {n_step_return}")
        self.T = math.ceil(size / B)
        self.B = B
        self.size = self.T * B
        self.discount = discount
        self.n_step_return = n_step_return
        self.t = 0  # cursor: the next row to write
        self._buffer_full = False
        self.off_backward = n_step_return
        self.off_forward = 1
        self.samples = buffer_from_example(example, (self.T, B), share_memory)
        self.SamplesToBuffer = namedarraytuple_like(example)
        self.has_timeout = "timeout" in example._fields
        if n_step_return > 1:
            self.samples_return_ = buffer_from_example(np.float32(0), (self.T, B), share_memory)
            self.samples_done_n = buffer_from_example(np.bool_(0), (self.T, B), share_memory)
            self.samples_timeout_n = (
                buffer_from_example(np.bool_(0), (self.T, B), share_memory)
                if self.has_timeout
                else None
            )
        else:
            self.samples_return_ = self.samples.reward
            self.samples_done_n = self.samples.done
            self.samples_timeout_n = self.samples.timeout if self.has_timeout else None

    def append_samples(self, samples: Any) -> tuple[np.ndarray, np.ndarray]:
        """Write a ``[T, B]`` batch (numpy or torch) at the cursor, wrapping around the ring."""
        samples = numpify_buffer(samples)
        T, B = samples.done.shape[:2]
        if B != self.B or T > self.T:
            raise ValueError(f"batch [T={T}, B={B}] does not fit a [{self.T}, {self.B}] buffer")
        t = self.t
        T_idxs = np.arange(t, t + T) % self.T
        self.samples[T_idxs if t + T > self.T else slice(t, t + T)] = samples
        self.compute_returns(T)
        if t + T >= self.T:
            self._buffer_full = True
        self.t = (t + T) % self.T
        return T_idxs, np.arange(B)

    def compute_returns(self, T: int) -> None:
        """Fill the n-step returns of the rows whose window the ``T`` new rows complete.

        Called before the cursor moves: the new rows are ``t .. t+T-1``, so the windows that
        end in them start at ``t - (n-1) .. t+T-n``. At the very first call the first rows
        wrap onto the (unwritten) end of the ring; they are recomputed when written.
        """
        n = self.n_step_return
        if n == 1:
            return
        rows = np.arange(self.t - (n - 1), self.t + T) % self.T  # rlpyt's bug: it used % T
        s = self.samples
        timeout = s.timeout[rows] if self.has_timeout else None
        return_, done_n, timeout_n = discount_return_n_step(
            s.reward[rows], s.done[rows], n, self.discount, timeout
        )
        dest = rows[:T]
        self.samples_return_[dest] = return_
        self.samples_done_n[dest] = done_n
        if timeout_n is not None:
            self.samples_timeout_n[dest] = timeout_n

    def extract_observation(self, T_idxs: np.ndarray, B_idxs: np.ndarray) -> np.ndarray:
        """Observations ``[len(T_idxs), ...]`` of rows ``T_idxs`` in columns ``B_idxs``."""
        return self.samples.observation[T_idxs, B_idxs]

    def _arrays(self) -> dict[str, np.ndarray]:
        """Every array holding contents, by name (views of ``samples`` are not repeated)."""
        arrays = {f"samples.{i}": a for i, a in enumerate(_leaves(self.samples))}
        if self.n_step_return > 1:
            arrays["return_"] = self.samples_return_
            arrays["done_n"] = self.samples_done_n
            if self.samples_timeout_n is not None:
                arrays["timeout_n"] = self.samples_timeout_n
        return arrays

    def state_dict(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "buffer_full": self._buffer_full,
            "arrays": {k: a.copy() for k, a in self._arrays().items()},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        arrays = self._arrays()
        if arrays.keys() != state["arrays"].keys():
            raise ValueError("replay state does not match this buffer's layout")
        for k, a in arrays.items():
            if a.shape != state["arrays"][k].shape:
                raise ValueError(f"replay array {k}: shape {state['arrays'][k].shape} != {a.shape}")
            a[...] = state["arrays"][k]  # in place: the storage may be shared
        self.t = state["t"]
        self._buffer_full = state["buffer_full"]


def _leaves(buffer: Any) -> list[np.ndarray]:
    """The arrays of a nested namedarraytuple, depth first (``None`` fields skipped)."""
    if buffer is None:
        return []
    if isinstance(buffer, tuple):
        return [leaf for b in buffer for leaf in _leaves(b)]
    return [buffer]
