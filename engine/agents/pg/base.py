"""What policy-gradient agents record per step, and the agent logic they share."""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from engine.agents.base import AgentStep, BaseAgent
from engine.distributions.base import Distribution
from engine.envs.base import EnvSpaces
from engine.utils.buffer import buffer_to
from engine.utils.collections import namedarraytuple

# dist_info: the behaviour policy's parameters (for likelihood ratios); value: V(s_t) [T, B].
AgentInfo = namedarraytuple("AgentInfo", ["dist_info", "value"])
# Recurrent agents add prev_rnn_state: the RNN state each step started from, RnnState [T, B, H]
# (training restarts every batch from prev_rnn_state[0]).
AgentInfoRnn = namedarraytuple("AgentInfoRnn", ["dist_info", "value", "prev_rnn_state"])


class PgAgent(BaseAgent):
    """A stochastic policy with a state value; the model maps ``(observation, prev_action,
    prev_reward)`` to ``(*pi, value)`` and ``DistInfoCls(*pi)`` parameterises
    ``distribution`` (set by subclasses for their action space in ``initialize``).

    ``agent_info = AgentInfo(dist_info, value)``.
    """

    DistInfoCls: ClassVar[type]
    distribution: Distribution

    def initialize(self, env_spaces: EnvSpaces) -> None:
        super().initialize(env_spaces)
        # Sampling mode until the runner says otherwise: in training mode the sampler's first
        # (example) step, taken on an env not yet seeded, would update the observation
        # statistics of models that normalise observations, and runs would differ by seed.
        self.model.eval()

    def __call__(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> tuple[Any, torch.Tensor]:
        """``-> (dist_info [T, B, ...], value [T, B])`` on ``self.device``, with gradients."""
        model_inputs = buffer_to((observation, prev_action, prev_reward), self.device)
        *pi, value = self.model(*model_inputs)
        return self.DistInfoCls(*pi), value

    @torch.no_grad()
    def step(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> AgentStep:
        """``-> AgentStep(action [B, ...], AgentInfo(dist_info [B, ...], value [B]))`` on CPU."""
        dist_info, value = self(observation, prev_action, prev_reward)
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
        _, value = self(observation, prev_action, prev_reward)
        return value.cpu()
