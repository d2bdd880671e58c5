"""Recurrent Q-network of R2D1 (rlpyt ``models/dqn/atari_r2d1_model.py``), for images and
vectors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.conv2d import Conv2dHeadModel
from engine.models.dqn.dueling import DuelingHeadModel
from engine.models.mlp import MlpModel
from engine.models.observation import flatten_observation, observation_size
from engine.models.rnn import RnnState
from engine.models.running_mean_std import RunningMeanStd
from engine.utils.tensor import infer_leading_dims, restore_leading_dims

#: LSTM state of a one-layer LSTM, each field ``[B, H]``.


class R2d1Model(nn.Module):
    """Feature trunk -> LSTM -> Q head.

    The trunk is rlpyt's Atari conv net and fc layer (``conv``: the conv layers' settings, e.g.
    ``DQN_CONV``; ``hidden_sizes``: the fc sizes, 512 in rlpyt) for ``uint8 [C, H, W]``
    images, or an MLP of ``hidden_sizes`` for vector (and ``Composite``) observations. The
    LSTM also gets the previous action (one-hot) and previous reward, as in R2D2. The head
    is an MLP of ``head_sizes`` (rlpyt: one layer of 512), or a dueling head.

    ``normalize_observation`` (vectors): standardise observations by a ``RunningMeanStd``
    (``obs_rms``, updated in training mode, i.e. by the algorithm's passes over replayed
    sequences) clipped to ``+-norm_obs_clip``, as ``PgMlpModel`` does. Without it, inferring a
    velocity from consecutive positions means resolving differences far below the inputs'
    scale (CartPole's pole angle moves by about 0.01 a step).

    ``forward(observation [T, B, *obs] | [B, *obs] | [*obs], prev_action [T, B] | ...,
    prev_reward [T, B] | ..., init_rnn_state RnnState([B, H]) | None)`` returns
    ``(q [..., output_size], RnnState([B, H]))`` with ``q`` in the input's leading dims; the
    state after the last step keeps its ``B`` dim (``[1, H]`` for an unbatched input). A
    ``None`` state is zeros.
    """

    def __init__(
        self,
        observation_shape: Any,
        output_size: int,
        hidden_sizes: Sequence[int] = (512,),
        lstm_size: int = 512,
        head_sizes: Sequence[int] = (512,),
        dueling: bool = False,
        nonlinearity: type[nn.Module] = nn.ReLU,
        conv: Mapping[str, Sequence[int]] | None = None,
        normalize_observation: bool = False,
        norm_obs_clip: float = 10.0,
        norm_obs_var_clip: float = 1e-6,
    ) -> None:
        super().__init__()
        self.observation_shape = observation_shape
        self.output_size = output_size
        self.image = conv is not None
        self.trunk: nn.Module
        if conv is not None:
            self.trunk = Conv2dHeadModel(
                observation_shape, **conv, hidden_sizes=hidden_sizes, nonlinearity=nonlinearity
            )
        else:
            self.trunk = MlpModel(
                observation_size(observation_shape), hidden_sizes, None, nonlinearity
            )
        if normalize_observation and conv is not None:
            raise ValueError("normalize_observation is for vector observations")
        self.obs_rms = (
            RunningMeanStd((observation_size(observation_shape),))
            if normalize_observation
            else None
        )
        self.norm_obs_clip = norm_obs_clip
        self.norm_obs_var_clip = norm_obs_var_clip
        self.lstm = nn.LSTM(self.trunk.output_size + output_size + 1, lstm_size)
        self.rnn_state_size = lstm_size  # H of the RnnState agents keep per env
        self.head: nn.Module
        if dueling:
            self.head = DuelingHeadModel(lstm_size, head_sizes, output_size)
        else:
            self.head = MlpModel(lstm_size, head_sizes, output_size, nonlinearity)

    def forward(
        self,
        observation: torch.Tensor,
        prev_action: torch.Tensor,
        prev_reward: torch.Tensor,
        init_rnn_state: RnnState | None = None,
    ) -> tuple[torch.Tensor, RnnState]:
        if self.image:
            lead_dim, T, B, shape = infer_leading_dims(observation, 3)
            features = self.trunk(observation.reshape(T * B, *shape))
        else:
            x, lead_dim, T, B = flatten_observation(observation, self.observation_shape)
            if self.obs_rms is not None:
                if self.training:
                    self.obs_rms.update(x)
                x = self.obs_rms.normalize(x, self.norm_obs_clip, self.norm_obs_var_clip)
            features = self.trunk(x)
        lstm_input = torch.cat(
            [
                features.view(T, B, -1),
                F.one_hot(prev_action.long().view(T, B), self.output_size).to(features.dtype),
                prev_reward.view(T, B, 1).to(features.dtype),
            ],
            dim=2,
        )
        state = None
        if init_rnn_state is not None:  # [B, H] -> [1, B, H], torch's layout
            state = (init_rnn_state.h.unsqueeze(0), init_rnn_state.c.unsqueeze(0))
        lstm_out, (h, c) = self.lstm(lstm_input, state)
        q = self.head(lstm_out.reshape(T * B, -1))
        return restore_leading_dims(q, lead_dim, T, B), RnnState(h=h[0], c=c[0])
