"""Feed-forward policy-gradient model over images (rlpyt ``AtariFfModel``)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from engine.models.conv2d import PG_CONV, Conv2dHeadModel
from engine.utils.tensor import infer_leading_dims, restore_leading_dims


class PgConvModel(nn.Module):
    """rlpyt's Atari policy-gradient net: ``PG_CONV`` conv layers, fully connected
    ``hidden_sizes`` (512), then linear policy-logit and value heads on the shared features.

    ``forward(observation uint8 [T, B, C, H, W] | [B, C, H, W] | [C, H, W], prev_action,
    prev_reward) -> (pi_logits [..., action_size], value [...])``.
    """

    def __init__(
        self,
        observation_shape: Sequence[int],
        action_size: int,
        hidden_sizes: Sequence[int] = (512,),
        nonlinearity: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        self.conv = Conv2dHeadModel(
            observation_shape, **PG_CONV, hidden_sizes=hidden_sizes, nonlinearity=nonlinearity
        )
        self.pi = nn.Linear(self.conv.output_size, action_size)
        self.value = nn.Linear(self.conv.output_size, 1)

    def forward(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        lead_dim, T, B, image_shape = infer_leading_dims(observation, 3)
        features = self.conv(observation.reshape(T * B, *image_shape))
        pi_logits = self.pi(features)
        value = self.value(features).squeeze(-1)
        return restore_leading_dims((pi_logits, value), lead_dim, T, B)
