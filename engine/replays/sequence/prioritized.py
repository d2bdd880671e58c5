"""Prioritized sequence replay (rlpyt ``replays/sequence/prioritized.py``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from engine.replays.sequence.n_step import SamplesFromReplay, SequenceNStepReturnBuffer
from engine.replays.sum_tree import SumTree
from engine.utils.buffer import numpify_buffer
from engine.utils.collections import namedarraytuple

SamplesFromReplayPri = namedarraytuple(
    "SequenceSamplesFromReplayPri", SamplesFromReplay._fields + ("is_weights",)
)


class PrioritizedSequenceReplay:
    """Sequences drawn in proportion to ``priority ** alpha`` (mixed before a
    ``SequenceNStepReturnBuffer``).

    The ``SumTree`` has one leaf per stored RNN state (``[T // rnn_state_interval, B]``),
    where sequences may start; a sequence's priority sits at its first row, warmup included.
    The sequence length ``batch_T`` is fixed, so that the tree can keep every start whose
    sequence is incomplete or straddles the cursor at priority 0.

    ``input_priorities``: ``append_samples(samples, priorities)`` takes a priority per column
    ``[B]`` computed from the batch itself (R2D1: from the sampler's Q values), given to the
    sequences that start ``input_priority_shift`` slots before each slot of the batch; e.g.
    with 40-step batches, ``rnn_state_interval`` 40 and a warmup of 40 steps, shift 1 gives a
    batch's priority to the sequence whose training steps begin with that batch. Other new
    sequences get ``default_priority``. Importance weights are ``(1 / p) ** beta``, scaled to a
    maximum of 1 in each batch.
    """

    def __init__(
        self,
        alpha: float = 0.6,
        beta: float = 0.4,
        default_priority: float = 1.0,
        input_priorities: bool = False,
        input_priority_shift: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if self.batch_T is None:
            raise ValueError("prioritized sequence replay needs a fixed batch_T")
        self.alpha = alpha
        self.beta = beta
        self.default_priority = default_priority
        self.input_priorities = input_priorities
        rsi = max(1, self.rnn_state_interval)
        length = self.batch_T + self.n_step_return
        # Tree windows in slots, safe for any cursor position t (the sampler's batch_T need not
        # be a multiple of the interval; exact when t is): a start s is on only if s + length
        # <= t and, ahead of the cursor, its off_forward older rows lie at or after t. A
        # sequence can be drawn at the latest once t >= length + 3 * rnn_state_interval.
        self.priority_tree = SumTree(
            T=self.T // rsi,
            B=self.B,
            off_backward=math.ceil(length / rsi) - 1,
            off_forward=math.ceil((self.off_forward + rsi - 1) / rsi),
            default_value=default_priority**alpha,
            share_memory=self.share_memory,
            enable_input_priorities=input_priorities,
            input_priority_shift=input_priority_shift,
        )

    def set_beta(self, beta: float) -> None:
        self.beta = beta

    def append_samples(
        self, samples: Any, priorities: np.ndarray | torch.Tensor | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Store a ``[T, B]`` batch; ``priorities [B]`` (input priorities) for its slots."""
        rsi = max(1, self.rnn_state_interval)
        t = self.t
        T_idxs, B_idxs = super().append_samples(samples)
        n_slots = (self.t // rsi - t // rsi) % self.priority_tree.T
        if n_slots == 0 and len(T_idxs) == self.T:  # a batch as long as the whole ring
            n_slots = self.priority_tree.T
        if priorities is not None:
            priorities = np.asarray(numpify_buffer(priorities), dtype=np.float64) ** self.alpha
        self.priority_tree.advance(n_slots, priorities=priorities)
        return T_idxs, B_idxs

    def sample_batch(self, batch_B: int) -> Any:
        """``batch_B`` sequences (``SamplesFromReplayPri``, ``[batch_T + n_step_return,
        batch_B]``), drawn by priority."""
        if self.priority_tree.tree[0] <= 0:
            raise RuntimeError(f"no sequence of {self.batch_T} steps in the replay buffer yet")
        (slots, B_idxs), priorities = self.priority_tree.sample(batch_B)
        T_idxs = slots * max(1, self.rnn_state_interval)
        batch = self.extract_batch(T_idxs, B_idxs, self.batch_T)
        is_weights = (1.0 / priorities) ** self.beta
        is_weights /= is_weights.max()
        return SamplesFromReplayPri(*batch, is_weights=torch.from_numpy(is_weights).float())

    def update_batch_priorities(self, priorities: np.ndarray | torch.Tensor) -> None:
        """New priorities ``[batch_B]`` (before ``alpha``) of the last sampled sequences."""
        priorities = np.asarray(numpify_buffer(priorities), dtype=np.float64)
        self.priority_tree.update_batch_priorities(priorities**self.alpha)

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "priority_tree": self.priority_tree.state_dict()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        self.priority_tree.load_state_dict(state["priority_tree"])


class PrioritizedSequenceReplayBuffer(PrioritizedSequenceReplay, SequenceNStepReturnBuffer):
    pass
