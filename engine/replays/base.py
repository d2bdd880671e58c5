"""The replay-buffer role (rlpyt ``replays/base.py``).

Replay buffers keep numpy storage (optionally in shared memory, for asynchronous sampling)
and hand out torch views of sampled batches. Storage is a ``[T, B]`` ring: ``B`` columns, one
per sampler environment, written ``T`` steps at a time at the cursor.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np


class BaseReplayBuffer(ABC):
    """Base class of every replay buffer.

    ``share_memory``: allocate storage in shared memory (``buffer_from_example(...,
    share_memory=True)``) so that other processes can write or read it.
    """

    def __init__(self, share_memory: bool = False) -> None:
        self.share_memory = share_memory

    @abstractmethod
    def append_samples(self, samples: Any) -> tuple[np.ndarray, np.ndarray]:
        """Store a ``[T, B]`` batch of ``SamplesToBuffer``; return the ``(T_idxs, B_idxs)`` written
        (``T_idxs [T]`` ring rows, ``B_idxs [B]`` columns)."""

    @abstractmethod
    def sample_batch(self, batch_B: int) -> Any:
        """A random batch of ``batch_B`` samples (a ``SamplesFromReplay...``, torch tensors
        with leading dim ``[batch_B]``)."""

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly: contents, cursor, fill state (and priorities)."""

    @abstractmethod
    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore ``state_dict`` into this buffer's (possibly shared) storage, in place."""
