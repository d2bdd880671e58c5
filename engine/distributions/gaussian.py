"""Diagonal Gaussian over continuous actions (rlpyt ``distributions/gaussian.py``).

Two ways to give the standard deviation: a fixed ``std`` set on the distribution (DDPG / TD3
exploration noise; ``dist_info`` is then ``DistInfo(mean)``), or per sample from the model as
``DistInfoStd(mean, log_std)`` (PPO / A2C / SAC policies). Either way ``dist_info`` fields are
``[..., dim]`` and every per-sample result sums over the action dims to ``[...]``.

``squash``: actions are ``squash * tanh(u)`` with ``u`` Gaussian (SAC). ``log_likelihood`` then
takes the *pre-squash* ``u`` (as rlpyt: no numerically risky ``atanh``) and includes the
change-of-variables term; ``sample_loglikelihood`` returns the squashed action with its
log-likelihood. ``clip`` (exclusive with ``squash``) clamps samples to ``[-clip, clip]``;
``noise_clip`` clamps the noise before it is added (TD3 target smoothing).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from engine.distributions.base import Distribution
from engine.utils.collections import namedarraytuple
from engine.utils.tensor import valid_mean

DistInfo = namedarraytuple("DistInfo", ["mean"])
DistInfoStd = namedarraytuple("DistInfoStd", ["mean", "log_std"])

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LOG_SQRT_2PI_E = 0.5 * math.log(2 * math.pi * math.e)


class Gaussian(Distribution):
    """Diagonal Gaussian of ``dim`` dims; see the module docstring for the options.

    ``min_std`` / ``max_std`` bound the standard deviation (the model's ``log_std`` is
    clamped), e.g. SAC's ``log_std`` in ``[-20, 2]``.
    """

    def __init__(
        self,
        dim: int,
        std: float | torch.Tensor | None = None,
        clip: float | None = None,
        noise_clip: float | None = None,
        min_std: float | None = None,
        max_std: float | None = None,
        squash: float | None = None,
    ) -> None:
        if clip is not None and squash is not None:
            raise ValueError("choose one of clip and squash")
        self.dim = dim
        self.min_std = min_std
        self.max_std = max_std
        self.min_log_std = None if min_std is None else math.log(min_std)
        self.max_log_std = None if max_std is None else math.log(max_std)
        self.clip = clip
        self.noise_clip = noise_clip
        self.squash = squash
        self.set_std(std)

    def set_std(self, std: float | torch.Tensor | None) -> None:
        """Fix the standard deviation (scalar or ``[dim]``), or None to read ``log_std`` from
        ``dist_info``; bounded by ``min_std`` / ``max_std``."""
        if std is not None:
            std = torch.as_tensor(std, dtype=torch.float32)
            if self.min_std is not None or self.max_std is not None:
                std = std.clamp(self.min_std, self.max_std)
        self.std = std

    def _std_log_std(self, dist_info: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(std, log_std)``, each ``[..., dim]`` or broadcastable to it."""
        if self.std is None:
            log_std = dist_info.log_std
            if self.min_log_std is not None or self.max_log_std is not None:
                log_std = log_std.clamp(self.min_log_std, self.max_log_std)
            return log_std.exp(), log_std
        std = self.std.to(dist_info.mean.device)
        return std, std.log()

    def _squash_correction(self, u: torch.Tensor) -> torch.Tensor:
        """``sum log |d(squash * tanh(u)) / du|`` ``[...]``, in the stable form
        ``log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u))`` (rlpyt adds an epsilon inside
        the log instead, which biases it where tanh saturates)."""
        log_dtanh = 2 * (math.log(2) - u - F.softplus(-2 * u))
        return (log_dtanh + math.log(self.squash)).sum(dim=-1)

    def _gaussian_log_likelihood(
        self, noise: torch.Tensor, std: torch.Tensor, log_std: torch.Tensor
    ) -> torch.Tensor:
        z = noise / std
        return -(log_std + 0.5 * z**2 + _LOG_SQRT_2PI).sum(dim=-1)

    def log_likelihood(self, x: torch.Tensor, dist_info: Any) -> torch.Tensor:
        """``log p(x)`` ``[...]``; with ``squash``, ``x`` is the pre-squash value ``u``."""
        std, log_std = self._std_log_std(dist_info)
        logli = self._gaussian_log_likelihood(x - dist_info.mean, std, log_std)
        if self.squash is not None:
            logli = logli - self._squash_correction(x)
        return logli

    def sample_loglikelihood(self, dist_info: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """A reparameterised sample (gradients flow to mean and log_std) and its
        log-likelihood: ``(x [..., dim], logli [...])``; with ``squash`` the squashed action
        and the log-likelihood of the squashed action."""
        std, log_std = self._std_log_std(dist_info)
        noise = std * torch.randn_like(dist_info.mean)
        u = dist_info.mean + noise
        logli = self._gaussian_log_likelihood(noise, std, log_std)
        if self.squash is not None:
            return self.squash * torch.tanh(u), logli - self._squash_correction(u)
        return u, logli

    def sample(self, dist_info: Any) -> torch.Tensor:
        """An action ``[..., dim]`` (reparameterised), noise-clipped, then squashed or clipped."""
        std, _ = self._std_log_std(dist_info)
        noise = std * torch.randn_like(dist_info.mean)
        if self.noise_clip is not None:
            noise = noise.clamp(-self.noise_clip, self.noise_clip)
        x = dist_info.mean + noise
        if self.squash is not None:
            return self.squash * torch.tanh(x)
        if self.clip is not None:
            return x.clamp(-self.clip, self.clip)
        return x

    def entropy(self, dist_info: Any) -> torch.Tensor:
        """Entropy ``[...]`` of the (unsquashed) Gaussian; the squashed one has no closed form."""
        if self.squash is not None:
            raise NotImplementedError("no closed-form entropy for a squashed Gaussian")
        _, log_std = self._std_log_std(dist_info)
        log_std = log_std.expand_as(dist_info.mean)
        return (log_std + _LOG_SQRT_2PI_E).sum(dim=-1)

    def kl(self, old_dist_info: Any, new_dist_info: Any) -> torch.Tensor:
        """``KL(old || new)`` ``[...]``."""
        old_std, old_log_std = self._std_log_std(old_dist_info)
        new_std, new_log_std = self._std_log_std(new_dist_info)
        num = (old_dist_info.mean - new_dist_info.mean) ** 2 + old_std**2 - new_std**2
        vals = num / (2 * new_std**2) + new_log_std - old_log_std
        return vals.sum(dim=-1)

    def mean_kl(
        self, old_dist_info: Any, new_dist_info: Any, valid: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Scalar KL averaged over the valid entries."""
        return valid_mean(self.kl(old_dist_info, new_dist_info), valid)
