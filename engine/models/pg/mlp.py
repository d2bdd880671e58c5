"""Feed-forward policy-gradient models over vector observations (rlpyt ``MujocoFfModel``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from engine.models.mlp import MlpModel
from engine.models.observation import flatten_observation, observation_size
from engine.models.running_mean_std import RunningMeanStd
from engine.utils.tensor import restore_leading_dims


class FlatObservationModel(nn.Module):
    """Base of models over vector observations: flattens (structured) observations to
    ``[T * B, input_size]`` and optionally standardises them.

    ``normalize_observation`` (rlpyt's ``MujocoFfModel`` option): a ``RunningMeanStd``
    (``obs_rms``, saved in the state_dict), clipped to ``[-norm_obs_clip, norm_obs_clip]``. The
    statistics update in training mode only, from the algorithm's forward passes, so each sample
    counts once per epoch; sampling and evaluation (eval mode) read them without changing them.
    """

    def __init__(
        self,
        observation_shape: Any,
        normalize_observation: bool = False,
        norm_obs_clip: float = 10.0,
        norm_obs_var_clip: float = 1e-6,
    ) -> None:
        super().__init__()
        self.observation_shape = observation_shape
        self.input_size = observation_size(observation_shape)
        self.obs_rms = RunningMeanStd((self.input_size,)) if normalize_observation else None
        self.norm_obs_clip = norm_obs_clip
        self.norm_obs_var_clip = norm_obs_var_clip

    def encode(self, observation: Any) -> tuple[torch.Tensor, int, int, int]:
        """``-> (x [T * B, input_size], lead_dim, T, B)``."""
        x, lead_dim, T, B = flatten_observation(observation, self.observation_shape)
        if self.obs_rms is not None:
            if self.training:
                self.obs_rms.update(x)
            x = self.obs_rms.normalize(x, self.norm_obs_clip, self.norm_obs_var_clip)
        return x, lead_dim, T, B


class PgMlpModel(FlatObservationModel):
    """Policy logits and state value from two MLPs of the same ``hidden_sizes``.

    ``forward(observation [T, B, *obs_shape] | [B, *obs_shape] | [*obs_shape], prev_action,
    prev_reward) -> (pi_logits [..., action_size], value [...])`` with the input's leading dims.
    ``prev_action`` and ``prev_reward`` are part of every model's signature (recurrent models
    use them) and ignored here. Structured observations (``Composite`` spaces, whose
    ``observation_shape`` is a namedtuple of shapes) are flattened and concatenated; see
    ``FlatObservationModel`` for ``normalize_observation``.

    Separate policy and value networks, as in rlpyt's MLP policy-gradient model
    (``MujocoFfModel``): with one shared trunk the value loss, whose targets grow to the scale
    of the return, dominated the trunk's gradients and PPO on CartPole-v1 learned slower and
    less reliably (final return 470-495 vs 500 on seeds 0-2 at 100k steps).
    """

    def __init__(
        self,
        observation_shape: Any,
        action_size: int,
        hidden_sizes: Sequence[int] = (64, 64),
        nonlinearity: type[nn.Module] = nn.Tanh,
        normalize_observation: bool = False,
        norm_obs_clip: float = 10.0,
        norm_obs_var_clip: float = 1e-6,
    ) -> None:
        super().__init__(observation_shape, normalize_observation, norm_obs_clip, norm_obs_var_clip)
        self.pi = MlpModel(self.input_size, hidden_sizes, action_size, nonlinearity)
        self.value = MlpModel(self.input_size, hidden_sizes, 1, nonlinearity)
        # A near-uniform initial policy (the policy-head scaling of CleanRL and SB3): the first
        # updates then follow the advantages rather than a random initial preference.
        pi_head = self.pi.model[-1]
        nn.init.orthogonal_(pi_head.weight, gain=0.01)
        nn.init.zeros_(pi_head.bias)

    def forward(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x, lead_dim, T, B = self.encode(observation)
        pi_logits = self.pi(x)
        value = self.value(x).squeeze(-1)
        return restore_leading_dims((pi_logits, value), lead_dim, T, B)


class GaussianPgMlpModel(PgMlpModel):
    """``PgMlpModel`` for continuous actions (rlpyt ``MujocoFfModel``): the policy MLP gives the
    Gaussian's mean; its log standard deviation is a learned parameter, independent of the
    state, starting at ``init_log_std``.

    ``forward(...) -> (mean [..., action_size], log_std [..., action_size], value [...])``.
    """

    def __init__(
        self,
        observation_shape: Any,
        action_size: int,
        hidden_sizes: Sequence[int] = (64, 64),
        nonlinearity: type[nn.Module] = nn.Tanh,
        normalize_observation: bool = False,
        norm_obs_clip: float = 10.0,
        norm_obs_var_clip: float = 1e-6,
        init_log_std: float = 0.0,
    ) -> None:
        super().__init__(
            observation_shape,
            action_size,
            hidden_sizes,
            nonlinearity,
            normalize_observation,
            norm_obs_clip,
            norm_obs_var_clip,
        )
        self.log_std = nn.Parameter(torch.full((action_size,), float(init_log_std)))

    def forward(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x, lead_dim, T, B = self.encode(observation)
        mean = self.pi(x)
        # A new tensor, not an expand() view: a view of the parameter would require grad even
        # when made under no_grad (sampling), and the sampler's buffers take plain tensors.
        log_std = self.log_std + torch.zeros_like(mean)
        value = self.value(x).squeeze(-1)
        return restore_leading_dims((mean, log_std, value), lead_dim, T, B)
