"""Epsilon-greedy Q-learning agent with a target network (rlpyt ``agents/dqn/dqn_agent.py``)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import gymnasium
import torch

from engine.agents.base import AgentStep, BaseAgent
from engine.agents.dqn.epsilon_greedy import EpsilonGreedyAgentMixin
from engine.distributions.epsilon_greedy import EpsilonGreedy
from engine.envs.base import EnvSpaces
from engine.models.utils import set_training, update_target_model
from engine.utils.buffer import buffer_to
from engine.utils.collections import namedarraytuple

# q: the Q-values the action was chosen from, [T, B, A].
AgentInfo = namedarraytuple("AgentInfo", ["q"])


class DqnAgent(EpsilonGreedyAgentMixin, BaseAgent):
    """The model maps ``(observation, prev_action, prev_reward)`` to ``q [..., A]``; ``step``
    acts epsilon-greedily on it (schedule: ``EpsilonGreedyAgentMixin``). ``target_model`` is a
    copy of the model that only ``update_target`` changes."""

    def initialize(self, env_spaces: EnvSpaces) -> None:
        super().initialize(env_spaces)
        self.target_model = copy.deepcopy(self.model)
        self.target_model.requires_grad_(False)
        self.distribution = EpsilonGreedy(dim=int(env_spaces.action.n))

    def make_env_to_model_kwargs(self, env_spaces: EnvSpaces) -> dict[str, Any]:
        if not isinstance(env_spaces.action, gymnasium.spaces.Discrete):
            raise TypeError(
                f"{type(self).__name__} needs a Discrete action space, got {env_spaces.action}"
            )
        return dict(
            observation_shape=env_spaces.observation.shape, output_size=int(env_spaces.action.n)
        )

    def to_device(self, device: torch.device | str) -> None:
        super().to_device(device)
        self.target_model.to(self.device)

    def __call__(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> torch.Tensor:
        """Online network output ``[..., A]`` (``[..., A, n_atoms]`` for C51) on the device."""
        return self.model(*buffer_to((observation, prev_action, prev_reward), self.device))

    @torch.no_grad()
    def target(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> torch.Tensor:
        """Target network output, like ``__call__`` but without gradients."""
        return self.target_model(*buffer_to((observation, prev_action, prev_reward), self.device))

    @torch.no_grad()
    def step(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> AgentStep:
        """``-> AgentStep(action [B], AgentInfo(q [B, A]))`` on CPU."""
        q = self(observation, prev_action, prev_reward)
        action = self.distribution.sample(q)
        return buffer_to(AgentStep(action=action, agent_info=AgentInfo(q=q)), "cpu")

    def update_target(self, tau: float = 1.0) -> None:
        """Move the target towards the model by ``tau`` (1: a hard copy)."""
        update_target_model(self.target_model, self.model, tau)

    def train_mode(self, itr: int) -> None:
        super().train_mode(itr)
        set_training([self.target_model], False)

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "target": self.target_model.state_dict()}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.model.load_state_dict(state_dict["model"])
        self.target_model.load_state_dict(state_dict["target"])
