"""Prioritized replay (Schaul et al. 2016; rlpyt ``replays/non_sequence/prioritized.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from engine.replays.non_sequence.n_step import (
    NStepReturnBuffer,
    SamplesFromReplayPri,
    SamplesFromReplayTLPri,
)
from engine.replays.sum_tree import SumTree
from engine.utils.buffer import numpify_buffer


class PrioritizedReplay:
    """Mixin: samples in proportion to ``priority ** alpha`` from a ``SumTree``.

    New samples get ``default_priority`` (rlpyt: ``delta_clip``, the largest Huber gradient);
    ``update_batch_priorities`` sets the priorities of the last sampled batch. Importance
    sampling weights ``(1 / p) ** beta``, normalised by their batch maximum, come with the
    batch as ``is_weights`` (``beta`` is annealed by the algorithm through ``set_beta``).
    """

    T: int
    B: int
    off_backward: int
    off_forward: int
    share_memory: bool
    extract_batch: Any

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
        self.alpha = alpha
        self.beta = beta
        self.default_priority = default_priority
        self.priority_tree = SumTree(
            self.T,
            self.B,
            self.off_backward,
            self.off_forward,
            default_value=default_priority**alpha,
            share_memory=self.share_memory,
            enable_input_priorities=input_priorities,
            input_priority_shift=input_priority_shift,
        )

    def set_beta(self, beta: float) -> None:
        self.beta = beta

    def append_samples(
        self, samples: Any, priorities: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Store the batch; ``priorities [T, B]`` only with ``input_priorities``."""
        T_idxs, B_idxs = super().append_samples(samples)  # type: ignore[misc]
        if priorities is not None:
            priorities = numpify_buffer(priorities) ** self.alpha
        self.priority_tree.advance(len(T_idxs), priorities)
        return T_idxs, B_idxs

    def sample_batch(self, batch_B: int) -> Any:
        (T_idxs, B_idxs), priorities = self.priority_tree.sample(batch_B)
        batch = self.extract_batch(T_idxs, B_idxs)
        is_weights = (1.0 / (priorities + 1e-5)) ** self.beta
        is_weights = torch.from_numpy((is_weights / is_weights.max()).astype(np.float32))
        Cls = SamplesFromReplayTLPri if "timeout_n" in batch._fields else SamplesFromReplayPri
        return Cls(*batch, is_weights=is_weights)

    def update_batch_priorities(self, priorities: np.ndarray | torch.Tensor) -> None:
        """New priorities ``[batch_B]`` (e.g. ``|TD error|``) of the last sampled batch."""
        priorities = np.asarray(numpify_buffer(priorities), dtype=np.float64)
        self.priority_tree.update_batch_priorities(priorities**self.alpha)

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()  # type: ignore[misc]
        return {**state, "priority_tree": self.priority_tree.state_dict()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)  # type: ignore[misc]
        self.priority_tree.load_state_dict(state["priority_tree"])


class PrioritizedReplayBuffer(PrioritizedReplay, NStepReturnBuffer):
    """Prioritized replay of n-step transitions, time-limit aware when ``timeout`` is stored."""
