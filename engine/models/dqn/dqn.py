"""Feed-forward Q networks (rlpyt ``models/dqn/atari_dqn_model.py``, ``atari_catdqn_model.py``),
for images and vectors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from engine.models.conv2d import Conv2dModel
from engine.models.dqn.dueling import DistributionalDuelingHeadModel, DuelingHeadModel
from engine.models.mlp import MlpModel
from engine.models.observation import flatten_observation, observation_size
from engine.utils.tensor import infer_leading_dims, restore_leading_dims


class DqnModel(nn.Module):
    """Features -> Q head.

    Features: rlpyt's Atari conv layers (``conv``, e.g. ``DQN_CONV``) over ``uint8 [C, H, W]``
    images (scaled to ``[0, 1]`` here), or the flattened vector (or ``Composite``) observation.
    Head: an MLP of ``hidden_sizes`` (rlpyt Atari: fc 512), or with ``dueling`` a value and an
    advantage stream of ``hidden_sizes`` each. ``n_atoms`` (C51): the head gives ``n_atoms``
    logits per action.

    ``forward(observation [T, B, *obs] | [B, *obs] | [*obs], prev_action, prev_reward)`` ->
    ``q [..., output_size]`` or, with ``n_atoms``, logits ``[..., output_size, n_atoms]`` (the
    agent takes the softmax); ``prev_action`` and ``prev_reward`` are ignored.
    """

    def __init__(
        self,
        observation_shape: Any,
        output_size: int,
        hidden_sizes: Sequence[int] = (512,),
        dueling: bool = False,
        n_atoms: int | None = None,
        nonlinearity: type[nn.Module] = nn.ReLU,
        conv: Mapping[str, Sequence[int]] | None = None,
    ) -> None:
        super().__init__()
        self.observation_shape = observation_shape
        self.output_size = output_size
        self.n_atoms = n_atoms
        self.conv: Conv2dModel | None = None
        if conv is not None:
            channels, height, width = observation_shape
            self.conv = Conv2dModel(channels, **conv, nonlinearity=nonlinearity)
            feature_size = self.conv.conv_out_size(height, width)
        else:
            feature_size = observation_size(observation_shape)
        self.head: nn.Module
        if n_atoms is None:
            self.head = (
                DuelingHeadModel(feature_size, hidden_sizes, output_size, nonlinearity=nonlinearity)
                if dueling
                else MlpModel(feature_size, hidden_sizes, output_size, nonlinearity)
            )
        else:
            self.head = (
                DistributionalDuelingHeadModel(
                    feature_size, hidden_sizes, output_size, n_atoms, nonlinearity=nonlinearity
                )
                if dueling
                else MlpModel(feature_size, hidden_sizes, output_size * n_atoms, nonlinearity)
            )

    def forward(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> torch.Tensor:
        if self.conv is not None:
            lead_dim, T, B, shape = infer_leading_dims(observation, 3)
            image = observation.reshape(T * B, *shape).to(torch.float32) / 255.0
            x = self.conv(image).flatten(start_dim=1)
        else:
            x, lead_dim, T, B = flatten_observation(observation, self.observation_shape)
        q = self.head(x)
        if self.n_atoms is not None:
            q = q.view(T * B, self.output_size, self.n_atoms)
        return restore_leading_dims(q, lead_dim, T, B)
