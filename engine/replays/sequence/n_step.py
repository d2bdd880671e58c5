"""Sequence replay for recurrent agents (rlpyt ``replays/sequence/n_step.py``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from engine.replays.n_step import BaseNStepReturnBuffer, _leaves
from engine.utils.buffer import buffer_from_example, numpify_buffer, torchify_buffer
from engine.utils.collections import namedarraytuple

#: A batch of ``batch_B`` sequences starting at rows ``s``, fields ``[L, batch_B, ...]``:
#: ``all_observation`` rows ``s .. s+L-1`` with ``L = batch_T + n_step_return`` (the agent's
#: inputs and, shifted by ``n_step_return``, the target's); ``all_action`` and ``all_reward``
#: rows ``s-1 .. s+L-2``, i.e. the previous action and reward of each observation (so the action
#: taken at row ``s+k`` is ``all_action[k+1]``); ``return_``, ``done``, ``done_n`` and
#: ``timeout_n`` (``None`` unless the buffer stores ``timeout``) rows ``s .. s+batch_T-1``;
#: ``init_rnn_state`` the agent's recurrent state before row ``s``, ``[batch_B, ...]``
#: (``None`` if no state is stored).
SamplesFromReplay = namedarraytuple(
    "SequenceSamplesFromReplay",
    [
        "all_observation",
        "all_action",
        "all_reward",
        "return_",
        "done",
        "done_n",
        "timeout_n",
        "init_rnn_state",
    ],
)


class SequenceNStepReturnBuffer(BaseNStepReturnBuffer):
    """n-step return ring that also keeps the agent's recurrent state every
    ``rnn_state_interval`` rows, where replayed sequences may start.

    ``example``: one step of ``SamplesToBuffer`` with a ``prev_rnn_state`` field (the state the
    agent had before acting at that step, e.g. ``RnnState(h [H], c [H])``), unless
    ``rnn_state_interval == 0``, which stores no state (sequences start anywhere, from a zero
    state). The ring length is rounded up to a multiple of the interval, so that state slots
    stay aligned when the cursor wraps; slot ``j`` holds the state before row
    ``j * rnn_state_interval`` (``samples_prev_rnn_state [T // interval, B, ...]``).

    ``batch_T``: the replayed length without the n-step tail (R2D1: warmup plus training
    steps); the prioritized buffer needs it fixed, the uniform one takes it as the default
    of ``sample_batch``.
    """

    def __init__(
        self,
        example: Any,
        size: int,
        B: int,
        rnn_state_interval: int,
        batch_T: int | None = None,
        **kwargs: Any,
    ) -> None:
        if rnn_state_interval < 0:
            raise ValueError(f"rnn_state_interval must be >= 0, got {rnn_state_interval}")
        self.rnn_state_interval = rnn_state_interval
        self.batch_T = batch_T
        fields = [f for f in example._fields if f != "prev_rnn_state"]
        self.ToBuffer = namedarraytuple("SequenceSamplesToBuffer", fields)
        buffer_example = self.ToBuffer(*(getattr(example, f) for f in fields))
        rsi = max(1, rnn_state_interval)
        size = B * rsi * math.ceil(math.ceil(size / B) / rsi)  # T a multiple of the interval
        super().__init__(example=buffer_example, size=size, B=B, **kwargs)
        self.samples_prev_rnn_state = None
        if rnn_state_interval > 0:
            self.samples_prev_rnn_state = buffer_from_example(
                example.prev_rnn_state, (self.T // rsi, B), self.share_memory
            )

    @property
    def sequence_starts(self) -> np.ndarray:
        """Rows where a sequence may start (every ``rnn_state_interval``-th), ``[T // rsi]``."""
        return np.arange(0, self.T, max(1, self.rnn_state_interval))

    def append_samples(self, samples: Any) -> tuple[np.ndarray, np.ndarray]:
        """Store a ``[T, B]`` batch; its ``prev_rnn_state`` only at rows that start a slot."""
        samples = numpify_buffer(samples)
        t = self.t
        T_idxs, B_idxs = super().append_samples(
            self.ToBuffer(*(getattr(samples, f) for f in self.ToBuffer._fields))
        )
        if self.samples_prev_rnn_state is not None:
            rsi = self.rnn_state_interval
            offset = (-t) % rsi  # first row of the batch at a slot start
            slots = T_idxs[offset::rsi] // rsi
            self.samples_prev_rnn_state[slots] = samples.prev_rnn_state[offset::rsi]
        return T_idxs, B_idxs

    def valid_starts(self, batch_T: int) -> np.ndarray:
        """Bool ``[T // rsi]``: which slot starts hold a whole replayable sequence now.

        A sequence from row ``s`` reads rows ``s - off_forward .. s + batch_T +
        n_step_return - 1`` (previous action, older frames, the n-step tail): all must be
        written and in order, i.e. not straddle the cursor.
        """
        starts = self.sequence_starts
        length = batch_T + self.n_step_return
        ahead = (self.t - starts) % self.T  # rows from s up to the newest one, inclusive
        if self._buffer_full:
            return (ahead >= length) & (ahead <= self.T - self.off_forward)
        return (starts >= self.off_forward) & (starts + length <= self.t)

    def extract_batch(self, T_idxs: np.ndarray, B_idxs: np.ndarray, batch_T: int) -> Any:
        """Sequences starting at rows ``T_idxs`` (multiples of the interval) of columns
        ``B_idxs``, as a torch ``SamplesFromReplay`` (layout above)."""
        rsi = self.rnn_state_interval
        length = batch_T + self.n_step_return
        rows = (T_idxs[None, :] + np.arange(-1, length)[:, None]) % self.T  # [1 + L, batch_B]
        cols = B_idxs[None, :]
        s = self.samples
        init_rnn_state = None
        if self.samples_prev_rnn_state is not None:
            init_rnn_state = self.samples_prev_rnn_state[T_idxs // rsi, B_idxs]
        batch = SamplesFromReplay(
            all_observation=self.extract_observation_sequences(T_idxs, B_idxs, length),
            all_action=s.action[rows[:-1], cols],
            all_reward=s.reward[rows[:-1], cols],
            return_=self.samples_return_[rows[1 : batch_T + 1], cols],
            done=s.done[rows[1 : batch_T + 1], cols],
            done_n=self.samples_done_n[rows[1 : batch_T + 1], cols],
            timeout_n=None
            if self.samples_timeout_n is None
            else self.samples_timeout_n[rows[1 : batch_T + 1], cols],
            init_rnn_state=init_rnn_state,
        )
        return torchify_buffer(batch)

    def extract_observation_sequences(
        self, T_idxs: np.ndarray, B_idxs: np.ndarray, length: int
    ) -> Any:
        """Observations ``[length, batch_B, ...]`` from rows ``T_idxs`` on."""
        rows = (T_idxs[None, :] + np.arange(length)[:, None]) % self.T
        return self.samples.observation[rows, B_idxs[None, :]]

    def _arrays(self) -> dict[str, np.ndarray]:
        arrays = super()._arrays()
        if self.samples_prev_rnn_state is not None:
            for i, leaf in enumerate(_leaves(self.samples_prev_rnn_state)):
                arrays[f"prev_rnn_state.{i}"] = leaf
        return arrays
