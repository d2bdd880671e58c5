"""Deterministic-policy agents: DDPG and TD3 (rlpyt ``agents/qpg/ddpg_agent.py``,
``td3_agent.py``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import nn

from engine.agents.base import AgentStep
from engine.agents.qpg.base import AgentInfo, QpgAgent
from engine.distributions.gaussian import DistInfo, Gaussian
from engine.models.qpg.mlp import MuMlpModel, QofMuMlpModel
from engine.utils.buffer import buffer_to


class DdpgAgent(QpgAgent):
    """Policy ``mu`` (``model``), action value ``q_model`` and their targets.

    Sampling adds Gaussian noise of std ``action_std`` to ``mu`` and clips to the action
    bounds; before ``min_itr_learn`` the std is ``pretrain_std`` if given (None: rlpyt's DDPG,
    ``action_std`` throughout). Evaluation acts with ``mu`` itself.
    """

    model_names = ("model", "q_model")
    target_pairs = (("target_model", "model"), ("target_q_model", "q_model"))

    def __init__(
        self,
        ModelCls: type[nn.Module] = MuMlpModel,
        QModelCls: type[nn.Module] = QofMuMlpModel,
        model_kwargs: Mapping[str, Any] | None = None,
        q_model_kwargs: Mapping[str, Any] | None = None,
        min_itr_learn: int = 0,
        action_std: float = 0.1,
        pretrain_std: float | None = None,
    ) -> None:
        super().__init__(ModelCls, QModelCls, model_kwargs, q_model_kwargs, min_itr_learn)
        self.action_std = action_std
        self.pretrain_std = pretrain_std

    def build_models(self, space_kwargs: dict[str, Any]) -> None:
        self.model = self.ModelCls(
            **space_kwargs, output_max=self.action_high, **self.model_kwargs
        )
        self.q_model = self.QModelCls(**space_kwargs, **self.q_model_kwargs)
        self.distribution = Gaussian(self.action_size, std=self.action_std, clip=self.action_high)

    def __call__(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> torch.Tensor:
        """``mu`` ``[..., A]`` on ``self.device``, with gradients."""
        return self.model(*buffer_to((observation, prev_action, prev_reward), self.device))

    def q(
        self,
        observation: torch.Tensor,
        prev_action: torch.Tensor,
        prev_reward: torch.Tensor,
        action: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        """The online action values of ``action``: a tuple of one ``[...]`` tensor per Q."""
        return (self.q_model(observation, prev_action, prev_reward, action),)

    def q_at_mu(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> torch.Tensor:
        """``Q(s, mu(s))`` ``[...]``, differentiable in ``mu`` (the policy's objective)."""
        mu = self.model(observation, prev_action, prev_reward)
        return self.q_model(observation, prev_action, prev_reward, mu)

    def target_q_at_mu(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> torch.Tensor:
        """The bootstrap value ``Q'(s, mu'(s))`` ``[...]`` from the target networks."""
        target_mu = self.target_model(observation, prev_action, prev_reward)
        return self.target_q_model(observation, prev_action, prev_reward, target_mu)

    def q_models(self) -> tuple[nn.Module, ...]:
        """The online Q networks."""
        return (self.q_model,)

    def mu_parameters(self) -> Iterator[nn.Parameter]:
        return self.model.parameters()

    def q_parameters(self) -> Iterator[nn.Parameter]:
        for q_model in self.q_models():
            yield from q_model.parameters()

    @torch.no_grad()
    def step(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> AgentStep:
        """``-> AgentStep(action [B, A], AgentInfo())`` on CPU: ``mu`` plus the mode's noise."""
        mu = self.model(*buffer_to((observation, prev_action, prev_reward), self.device))
        action = self.distribution.sample(DistInfo(mean=mu))
        return AgentStep(action=action.cpu(), agent_info=AgentInfo())

    def sample_mode(self, itr: int) -> None:
        super().sample_mode(itr)
        pretrain = self.pretrain_std is not None and itr < self.min_itr_learn
        self.distribution.set_std(self.pretrain_std if pretrain else self.action_std)

    def eval_mode(self, itr: int) -> None:
        super().eval_mode(itr)
        self.distribution.set_std(0.0)


class Td3Agent(DdpgAgent):
    """DDPG's agent with twin action values (``q_model``, ``q2_model``) and target policy
    smoothing: the target action is ``mu'(s')`` plus noise of std ``target_noise_std``
    clipped to ``target_noise_clip``, then clipped to the action bounds. Samples with
    ``pretrain_std`` before ``min_itr_learn``."""

    model_names = ("model", "q_model", "q2_model")
    target_pairs = (
        ("target_model", "model"),
        ("target_q_model", "q_model"),
        ("target_q2_model", "q2_model"),
    )

    def __init__(
        self,
        *args: Any,
        pretrain_std: float | None = 0.5,
        target_noise_std: float = 0.2,
        target_noise_clip: float = 0.5,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, pretrain_std=pretrain_std, **kwargs)
        self.target_noise_std = target_noise_std
        self.target_noise_clip = target_noise_clip

    def build_models(self, space_kwargs: dict[str, Any]) -> None:
        super().build_models(space_kwargs)
        self.q2_model = self.QModelCls(**space_kwargs, **self.q_model_kwargs)
        self.target_distribution = Gaussian(
            self.action_size,
            std=self.target_noise_std,
            noise_clip=self.target_noise_clip,
            clip=self.action_high,
        )

    def q(
        self,
        observation: torch.Tensor,
        prev_action: torch.Tensor,
        prev_reward: torch.Tensor,
        action: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        return (
            self.q_model(observation, prev_action, prev_reward, action),
            self.q2_model(observation, prev_action, prev_reward, action),
        )

    def target_q_at_mu(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> torch.Tensor:
        """``min(Q1'(s, a'), Q2'(s, a'))`` ``[...]`` at the smoothed target action ``a'``."""
        target_mu = self.target_model(observation, prev_action, prev_reward)
        target_action = self.target_distribution.sample(DistInfo(mean=target_mu))
        inputs = (observation, prev_action, prev_reward, target_action)
        return torch.min(self.target_q_model(*inputs), self.target_q2_model(*inputs))

    def q_models(self) -> tuple[nn.Module, ...]:
        return (self.q_model, self.q2_model)
