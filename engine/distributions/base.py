"""Action distributions: stateless maths over per-sample parameters (rlpyt ``distributions/``).

A distribution object holds only fixed facts (e.g. the number of categories); the parameters
of each sample travel as a ``DistInfo`` namedarraytuple inside ``agent_info``, so the samples
buffer keeps the behaviour policy's parameters for importance ratios.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch

from engine.utils.tensor import valid_mean


class Distribution(ABC):
    """Base class of every action distribution; all tensors share leading dims ``[...]``."""

    @abstractmethod
    def sample(self, dist_info: Any) -> torch.Tensor:
        """Draw one action per leading index: ``[...]`` (+ action dims)."""

    @abstractmethod
    def log_likelihood(self, x: torch.Tensor, dist_info: Any) -> torch.Tensor:
        """``log p(x)``: ``[...]``."""

    @abstractmethod
    def entropy(self, dist_info: Any) -> torch.Tensor:
        """Entropy of each distribution: ``[...]``."""

    def likelihood_ratio(
        self, x: torch.Tensor, old_dist_info: Any, new_dist_info: Any
    ) -> torch.Tensor:
        """``p_new(x) / p_old(x)``: ``[...]``."""
        return torch.exp(
            self.log_likelihood(x, new_dist_info) - self.log_likelihood(x, old_dist_info)
        )

    def mean_entropy(self, dist_info: Any, valid: torch.Tensor | None = None) -> torch.Tensor:
        """Scalar entropy averaged over the valid entries."""
        return valid_mean(self.entropy(dist_info), valid)
