"""The runner role: owns the training loop that ties sampler, agent and algorithm together."""

from __future__ import annotations

from abc import ABC, abstractmethod


class BaseRunner(ABC):
    """Base class of every runner (rlpyt ``runners/base.py``)."""

    @abstractmethod
    def train(self) -> dict[str, float]:
        """Run the whole experiment; return a summary: ``steps``, ``seconds`` and the last
        value of every logged key."""
