"""Recurrent policy-gradient models (rlpyt ``MujocoLstmModel``, ``AtariLstmModel``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.conv2d import PG_CONV, Conv2dHeadModel
from engine.models.mlp import MlpModel
from engine.models.pg.mlp import FlatObservationModel
from engine.models.rnn import RnnState
from engine.utils.tensor import infer_leading_dims, restore_leading_dims

# The LSTM's state per env: h and c, each [B, lstm_size] (one layer; nn.LSTM's layer dim is
# added and removed inside the model). Recurrent agents record it as ``prev_rnn_state``.


def run_lstm(
    lstm: nn.LSTM,
    x: torch.Tensor,
    init_rnn_state: RnnState | None,
    reset: torch.Tensor | None = None,
) -> tuple[torch.Tensor, RnnState]:
    """Run ``lstm`` over ``x [T, B, input]`` from ``init_rnn_state`` (zeros if None), zeroing
    the state of env ``b`` before step ``t`` where ``reset[t, b]`` (a new episode inside the
    sequence). Returns ``(output [T, B, lstm_size], final RnnState [B, lstm_size])``.

    The sequence is cut only at the steps where some env resets, and each piece runs as one
    ``nn.LSTM`` call (one cuDNN kernel on a GPU) rather than step by step.
    """
    T, B, _ = x.shape
    if init_rnn_state is None:
        zeros = x.new_zeros(1, B, lstm.hidden_size)
        h, c = zeros, zeros
    else:
        h, c = init_rnn_state.h.unsqueeze(0), init_rnn_state.c.unsqueeze(0)
    cuts = [] if reset is None else torch.nonzero(reset.any(dim=1)).flatten().tolist()
    bounds = sorted({0, *cuts, T})
    outputs = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        if reset is not None and start in cuts:
            keep = (~reset[start].bool()).to(h.dtype).view(1, B, 1)
            h, c = h * keep, c * keep
        out, (h, c) = lstm(x[start:stop], (h, c))
        outputs.append(out)
    return torch.cat(outputs), RnnState(h=h.squeeze(0), c=c.squeeze(0))


class PgLstmModel(FlatObservationModel):
    """Feed-forward features, then an LSTM that also takes the previous action (one-hot for
    discrete actions) and previous reward, then linear policy and value heads.

    * vector observations (rlpyt ``MujocoLstmModel``): an MLP of ``hidden_sizes`` (rlpyt's
      default [256, 256], tanh), with ``normalize_observation`` as in ``PgMlpModel``. The
      policy and the value each have their own MLP and LSTM (rlpyt shares one): as with
      ``PgMlpModel``, the value loss dominated a shared network's gradients, and recurrent PPO
      on CartPole without velocities stayed below a return of 160 in 60k steps;
    * images (``image=True``, rlpyt ``AtariLstmModel``): ``PG_CONV`` conv layers and fully
      connected ``hidden_sizes`` ([512], relu), one LSTM shared by both heads, as rlpyt.

    The policy head gives logits (``gaussian=False``) or the Gaussian's mean and log standard
    deviation (state-dependent, as rlpyt's ``MujocoLstmModel``).

    ``forward(observation [T, B, ...] | [B, ...], prev_action, prev_reward [T, B] | [B],
    init_rnn_state RnnState([B, rnn_state_size]) | None, reset [T, B] | None) ->
    (*pi, value, next_rnn_state)`` with ``pi = (logits,)`` or ``(mean, log_std)``, each with the
    input's leading dims; ``reset`` zeroes the state inside the sequence (see ``run_lstm``).
    With separate value LSTM the state holds the policy's then the value's units.
    """

    def __init__(
        self,
        observation_shape: Any,
        action_size: int,
        gaussian: bool = False,
        image: bool = False,
        hidden_sizes: Sequence[int] | None = None,
        nonlinearity: type[nn.Module] | None = None,
        lstm_size: int = 256,
        normalize_observation: bool = False,
        norm_obs_clip: float = 10.0,
        norm_obs_var_clip: float = 1e-6,
    ) -> None:
        if image and normalize_observation:
            raise ValueError("normalize_observation is for vector observations, not images")
        super().__init__(observation_shape, normalize_observation, norm_obs_clip, norm_obs_var_clip)
        self.action_size = action_size
        self.gaussian = gaussian
        self.image = image
        self.lstm_size = lstm_size

        def lstm_path() -> tuple[nn.Module, nn.LSTM]:
            trunk: nn.Module
            if image:
                trunk = Conv2dHeadModel(
                    observation_shape,
                    **PG_CONV,
                    hidden_sizes=hidden_sizes or (512,),
                    nonlinearity=nonlinearity or nn.ReLU,
                )
            else:
                trunk = MlpModel(
                    self.input_size, hidden_sizes or (256, 256), None, nonlinearity or nn.Tanh
                )
            return trunk, nn.LSTM(trunk.output_size + action_size + 1, lstm_size)

        self.trunk, self.lstm = lstm_path()
        self.value_trunk, self.value_lstm = (None, None) if image else lstm_path()
        self.rnn_state_size = lstm_size * (1 if image else 2)
        self.pi = nn.Linear(lstm_size, 2 * action_size if gaussian else action_size)
        self.value = nn.Linear(lstm_size, 1)
        # A near-uniform (or unit-std, zero-mean) initial policy, as in PgMlpModel.
        nn.init.orthogonal_(self.pi.weight, gain=0.01)
        nn.init.zeros_(self.pi.bias)

    def forward(
        self,
        observation: Any,
        prev_action: torch.Tensor,
        prev_reward: torch.Tensor,
        init_rnn_state: RnnState | None = None,
        reset: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, ...]:
        if self.image:
            lead_dim, T, B, image_shape = infer_leading_dims(observation, 3)
            x = observation.reshape(T * B, *image_shape)
        else:
            x, lead_dim, T, B = self.encode(observation)
        if self.gaussian:
            prev_action = prev_action.reshape(T * B, self.action_size).to(torch.float32)
        else:
            prev_action = F.one_hot(prev_action.reshape(T * B).long(), self.action_size).float()
        extra = torch.cat([prev_action, prev_reward.reshape(T * B, 1).float()], dim=-1)
        if reset is not None:
            reset = reset.reshape(T, B)
        H = self.lstm_size
        pi_state = value_state = None
        if init_rnn_state is not None:
            pi_state = RnnState(init_rnn_state.h[:, :H], init_rnn_state.c[:, :H])
            value_state = RnnState(init_rnn_state.h[:, H:], init_rnn_state.c[:, H:])

        def run(trunk: nn.Module, lstm: nn.LSTM, state: RnnState | None) -> tuple:
            lstm_input = torch.cat([trunk(x), extra], dim=-1).view(T, B, -1)
            out, next_state = run_lstm(lstm, lstm_input, state, reset)
            return out.reshape(T * B, H), next_state

        pi_out, next_rnn_state = run(self.trunk, self.lstm, pi_state)
        if self.value_lstm is None:
            value_out = pi_out
        else:
            value_out, next_value_state = run(self.value_trunk, self.value_lstm, value_state)
            next_rnn_state = RnnState(
                *(torch.cat(pair, dim=-1) for pair in zip(next_rnn_state, next_value_state))
            )
        pi = self.pi(pi_out)
        pi = pi.chunk(2, dim=-1) if self.gaussian else (pi,)
        value = self.value(value_out).squeeze(-1)
        return (*restore_leading_dims((*pi, value), lead_dim, T, B), next_rnn_state)
