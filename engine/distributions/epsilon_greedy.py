"""Epsilon-greedy action selection over Q-values (rlpyt ``distributions/epsilon_greedy.py``)."""

from __future__ import annotations

import torch


class EpsilonGreedy:
    """Greedy in ``q [..., dim]`` with probability ``1 - epsilon``, else uniform over ``dim``.

    ``epsilon`` is a float or a tensor broadcasting against ``q``'s leading dims (e.g. one per
    environment, Ape-X style). Not a ``Distribution``: there is no likelihood to speak of.
    """

    def __init__(self, dim: int, epsilon: float | torch.Tensor = 1.0) -> None:
        self.dim = dim
        self.epsilon = epsilon

    def set_epsilon(self, epsilon: float | torch.Tensor) -> None:
        self.epsilon = epsilon

    def sample(self, q: torch.Tensor) -> torch.Tensor:
        """int64 actions ``[...]``."""
        action = torch.argmax(q, dim=-1)
        explore = torch.rand(action.shape, device=action.device) < self.epsilon
        return torch.where(explore, torch.randint_like(action, self.dim), action)


class CategoricalEpsilonGreedy(EpsilonGreedy):
    """Epsilon-greedy over the means of distributions ``p [..., dim, n_atoms]`` on the atoms
    ``z [n_atoms]`` (C51: ``Q(s, a) = sum_i z_i p_i(s, a)``)."""

    def __init__(self, dim: int, z: torch.Tensor, epsilon: float | torch.Tensor = 1.0) -> None:
        super().__init__(dim, epsilon)
        self.z = z

    def sample(self, p: torch.Tensor) -> torch.Tensor:
        return super().sample(torch.tensordot(p, self.z.to(p.device), dims=1))
