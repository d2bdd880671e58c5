"""Soft actor-critic agent (rlpyt ``agents/qpg/sac_agent.py``, twin Q, no value network)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import nn

from engine.agents.base import AgentStep
from engine.agents.qpg.base import AgentInfo, QpgAgent
from engine.distributions.gaussian import DistInfoStd, Gaussian
from engine.models.qpg.mlp import PiMlpModel, QofMuMlpModel
from engine.utils.buffer import buffer_to

MIN_LOG_STD = -20.0
MAX_LOG_STD = 2.0


class SacAgent(QpgAgent):
    """Tanh-squashed Gaussian policy ``model`` (actions ``high * tanh(u)``, ``log_std`` of
    ``u`` clamped to ``[-20, 2]``), twin action values ``q1_model``, ``q2_model`` and their
    targets.

    Sampling draws from the policy; before ``min_itr_learn`` it uses the policy's mean with a
    fixed pre-squash std ``pretrain_std`` instead (0.75 spreads the squashed actions nearly
    uniformly). Evaluation acts with the squashed mean.
    """

    model_names = ("model", "q1_model", "q2_model")
    target_pairs = (("target_q1_model", "q1_model"), ("target_q2_model", "q2_model"))

    def __init__(
        self,
        ModelCls: type[nn.Module] = PiMlpModel,
        QModelCls: type[nn.Module] = QofMuMlpModel,
        model_kwargs: Mapping[str, Any] | None = None,
        q_model_kwargs: Mapping[str, Any] | None = None,
        min_itr_learn: int = 0,
        pretrain_std: float = 0.75,
    ) -> None:
        super().__init__(ModelCls, QModelCls, model_kwargs, q_model_kwargs, min_itr_learn)
        self.pretrain_std = pretrain_std

    def build_models(self, space_kwargs: dict[str, Any]) -> None:
        self.model = self.ModelCls(**space_kwargs, **self.model_kwargs)
        self.q1_model = self.QModelCls(**space_kwargs, **self.q_model_kwargs)
        self.q2_model = self.QModelCls(**space_kwargs, **self.q_model_kwargs)
        self.distribution = Gaussian(
            self.action_size,
            squash=self.action_high,
            min_std=math.exp(MIN_LOG_STD),
            max_std=math.exp(MAX_LOG_STD),
        )

    def __call__(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, DistInfoStd]:
        """``pi`` on inputs moved to ``self.device``."""
        return self.pi(*buffer_to((observation, prev_action, prev_reward), self.device))

    def pi(
        self,
        observation: torch.Tensor,
        prev_action: torch.Tensor,
        prev_reward: torch.Tensor,
        reparameterize: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor, DistInfoStd]:
        """A policy sample: ``(action [..., A], log_pi [...], DistInfoStd(mean, log_std))``.

        ``reparameterize``: gradients flow through the action; otherwise the action carries
        none and ``log_pi`` is the log-likelihood of that fixed sample (score-function
        gradients).
        """
        mean, log_std = self.model(observation, prev_action, prev_reward)
        dist_info = DistInfoStd(mean=mean, log_std=log_std)
        if reparameterize:
            action, log_pi = self.distribution.sample_loglikelihood(dist_info)
            return action, log_pi, dist_info
        with torch.no_grad():
            std = log_std.clamp(MIN_LOG_STD, MAX_LOG_STD).exp()
            u = mean + std * torch.randn_like(mean)  # pre-squash
        log_pi = self.distribution.log_likelihood(u, dist_info)
        return self.action_high * torch.tanh(u), log_pi, dist_info

    def q(
        self,
        observation: torch.Tensor,
        prev_action: torch.Tensor,
        prev_reward: torch.Tensor,
        action: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(Q1(s, a), Q2(s, a))``, each ``[...]``."""
        return (
            self.q1_model(observation, prev_action, prev_reward, action),
            self.q2_model(observation, prev_action, prev_reward, action),
        )

    def target_q(
        self,
        observation: torch.Tensor,
        prev_action: torch.Tensor,
        prev_reward: torch.Tensor,
        action: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(Q1'(s, a), Q2'(s, a))`` of the target networks, each ``[...]``."""
        return (
            self.target_q1_model(observation, prev_action, prev_reward, action),
            self.target_q2_model(observation, prev_action, prev_reward, action),
        )

    def pi_parameters(self) -> Iterator[nn.Parameter]:
        return self.model.parameters()

    def q1_parameters(self) -> Iterator[nn.Parameter]:
        return self.q1_model.parameters()

    def q2_parameters(self) -> Iterator[nn.Parameter]:
        return self.q2_model.parameters()

    @torch.no_grad()
    def step(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> AgentStep:
        """``-> AgentStep(action [B, A], AgentInfo())`` on CPU, drawn as the mode says."""
        mean, log_std = self.model(*buffer_to((observation, prev_action, prev_reward), self.device))
        action = self.distribution.sample(DistInfoStd(mean=mean, log_std=log_std))
        return AgentStep(action=action.cpu(), agent_info=AgentInfo())

    def train_mode(self, itr: int) -> None:
        super().train_mode(itr)
        self.distribution.set_std(None)  # the policy's own std, for the losses

    def sample_mode(self, itr: int) -> None:
        super().sample_mode(itr)
        self.distribution.set_std(self.pretrain_std if itr < self.min_itr_learn else None)

    def eval_mode(self, itr: int) -> None:
        super().eval_mode(itr)
        self.distribution.set_std(0.0)  # clamped to min_std: the squashed mean
