"""The runner role: owns the training loop that ties sampler, agent and algorithm together."""

from __future__ import annotations

from abc import ABC, abstractmethod

from engine.checkpoint import Checkpoint


class BaseRunner(ABC):
    """Base class of every runner (rlpyt ``runners/base.py``)."""

    @abstractmethod
    def train(self, checkpoint: Checkpoint | None = None) -> dict[str, float]:
        """Run the whole experiment, or continue it from ``checkpoint``; return a summary:
        ``steps``, ``seconds`` and the last value of every logged key."""
