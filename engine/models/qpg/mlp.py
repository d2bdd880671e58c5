"""MLP models of the Q-value policy-gradient family (rlpyt ``models/qpg/mlp.py``).

Each model is a plain ``nn.Module`` of its own (policy, each Q), so that an algorithm can give
each its optimiser and a data-parallel wrapper can wrap each alone. All accept observations
``[T, B, *obs_shape]``, ``[B, *obs_shape]`` or ``[*obs_shape]`` (structured observations are
flattened, as in ``engine.models.observation``) and return outputs with the same leading dims.
``prev_action`` and ``prev_reward`` are part of every model's signature and ignored here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from engine.models.mlp import MlpModel
from engine.models.observation import flatten_observation, observation_size
from engine.utils.tensor import restore_leading_dims


class MuMlpModel(nn.Module):
    """Deterministic policy: ``mu = output_max * tanh(mlp(observation))`` ``[..., action_size]``."""

    def __init__(
        self,
        observation_shape: Any,
        action_size: int,
        hidden_sizes: Sequence[int] = (400, 300),
        nonlinearity: type[nn.Module] = nn.ReLU,
        output_max: float = 1.0,
    ) -> None:
        super().__init__()
        self.observation_shape = observation_shape
        self.output_max = output_max
        self.mlp = MlpModel(
            observation_size(observation_shape), hidden_sizes, action_size, nonlinearity
        )

    def forward(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> torch.Tensor:
        x, lead_dim, T, B = flatten_observation(observation, self.observation_shape)
        mu = self.output_max * torch.tanh(self.mlp(x))
        return restore_leading_dims(mu, lead_dim, T, B)


class PiMlpModel(nn.Module):
    """Gaussian policy parameters: ``(mean, log_std)``, each ``[..., action_size]`` (SAC; the
    agent's distribution clamps ``log_std`` and squashes the samples)."""

    def __init__(
        self,
        observation_shape: Any,
        action_size: int,
        hidden_sizes: Sequence[int] = (256, 256),
        nonlinearity: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        self.observation_shape = observation_shape
        self.action_size = action_size
        self.mlp = MlpModel(
            observation_size(observation_shape), hidden_sizes, 2 * action_size, nonlinearity
        )

    def forward(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x, lead_dim, T, B = flatten_observation(observation, self.observation_shape)
        mean, log_std = self.mlp(x).chunk(2, dim=-1)
        return restore_leading_dims((mean, log_std), lead_dim, T, B)


class QofMuMlpModel(nn.Module):
    """Action value ``Q(observation, action)`` ``[...]`` from the concatenated inputs."""

    def __init__(
        self,
        observation_shape: Any,
        action_size: int,
        hidden_sizes: Sequence[int] = (400, 300),
        nonlinearity: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        self.observation_shape = observation_shape
        self.mlp = MlpModel(
            observation_size(observation_shape) + action_size, hidden_sizes, 1, nonlinearity
        )

    def forward(
        self,
        observation: torch.Tensor,
        prev_action: torch.Tensor,
        prev_reward: torch.Tensor,
        action: torch.Tensor,
    ) -> torch.Tensor:
        x, lead_dim, T, B = flatten_observation(observation, self.observation_shape)
        q = self.mlp(torch.cat([x, action.reshape(T * B, -1)], dim=-1)).squeeze(-1)
        return restore_leading_dims(q, lead_dim, T, B)
