"""Policy-gradient agent for discrete actions (rlpyt ``agents/pg/categorical.py``)."""

from __future__ import annotations

from typing import Any

import gymnasium
import torch

from engine.agents.base import AgentStep, BaseAgent
from engine.agents.pg.base import AgentInfo
from engine.distributions.categorical import Categorical, DistInfo
from engine.envs.base import EnvSpaces
from engine.utils.buffer import buffer_to


class CategoricalPgAgent(BaseAgent):
    """Samples actions from a categorical policy; also reports the state value.

    The model maps ``(observation, prev_action, prev_reward)`` to ``(pi_logits, value)``.
    ``agent_info = AgentInfo(dist_info=DistInfo(logits), value)``.
    """

    distribution: Categorical

    def initialize(self, env_spaces: EnvSpaces) -> None:
        super().initialize(env_spaces)
        self.distribution = Categorical(dim=env_spaces.action.n)

    def make_env_to_model_kwargs(self, env_spaces: EnvSpaces) -> dict[str, Any]:
        if not isinstance(env_spaces.action, gymnasium.spaces.Discrete):
            raise TypeError(
                f"CategoricalPgAgent needs a Discrete action space, got {env_spaces.action}"
            )
        return dict(
            observation_shape=env_spaces.observation.shape, action_size=int(env_spaces.action.n)
        )

    def __call__(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> tuple[DistInfo, torch.Tensor]:
        """``-> (DistInfo(logits [T, B, A]), value [T, B])`` on ``self.device``, with gradients."""
        model_inputs = buffer_to((observation, prev_action, prev_reward), self.device)
        pi_logits, value = self.model(*model_inputs)
        return DistInfo(logits=pi_logits), value

    @torch.no_grad()
    def step(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> AgentStep:
        """``-> AgentStep(action [B], AgentInfo(DistInfo(logits [B, A]), value [B]))`` on CPU."""
        model_inputs = buffer_to((observation, prev_action, prev_reward), self.device)
        pi_logits, value = self.model(*model_inputs)
        dist_info = DistInfo(logits=pi_logits)
        action = self.distribution.sample(dist_info)
        agent_step = AgentStep(
            action=action, agent_info=AgentInfo(dist_info=dist_info, value=value)
        )
        return buffer_to(agent_step, "cpu")

    @torch.no_grad()
    def value(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> torch.Tensor:
        """State value ``[B]`` on CPU, used as the bootstrap value after a batch."""
        model_inputs = buffer_to((observation, prev_action, prev_reward), self.device)
        _, value = self.model(*model_inputs)
        return value.cpu()
