"""Agent of distributional (C51) Q-learning (rlpyt ``agents/dqn/catdqn_agent.py``)."""

from __future__ import annotations

from typing import Any

import torch

from engine.agents.base import AgentStep
from engine.agents.dqn.dqn_agent import DqnAgent
from engine.distributions.epsilon_greedy import CategoricalEpsilonGreedy
from engine.envs.base import EnvSpaces
from engine.utils.buffer import buffer_to
from engine.utils.collections import namedarraytuple

# p: the return distributions the action was chosen from, [T, B, A, n_atoms].
AgentInfo = namedarraytuple("CatDqnAgentInfo", ["p"])


class CatDqnAgent(DqnAgent):
    """The model gives logits ``[..., A, n_atoms]`` over the atoms ``z = linspace(V_min, V_max,
    n_atoms)``; actions are epsilon-greedy in ``Q = sum_i z_i p_i``. ``__call__`` and ``target``
    return the logits (the loss takes their log-softmax). ``V_min`` and ``V_max`` are the
    algorithm's; the builder gives them here, as the sampler's copies need ``z`` too."""

    def __init__(
        self,
        *args: Any,
        n_atoms: int = 51,
        V_min: float = -10.0,
        V_max: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.n_atoms = n_atoms
        self.V_min = V_min
        self.V_max = V_max

    def initialize(self, env_spaces: EnvSpaces) -> None:
        super().initialize(env_spaces)
        z = torch.linspace(self.V_min, self.V_max, self.n_atoms)
        self.distribution = CategoricalEpsilonGreedy(dim=int(env_spaces.action.n), z=z)

    def make_env_to_model_kwargs(self, env_spaces: EnvSpaces) -> dict[str, Any]:
        return dict(**super().make_env_to_model_kwargs(env_spaces), n_atoms=self.n_atoms)

    @torch.no_grad()
    def step(
        self, observation: torch.Tensor, prev_action: torch.Tensor, prev_reward: torch.Tensor
    ) -> AgentStep:
        """``-> AgentStep(action [B], AgentInfo(p [B, A, n_atoms]))`` on CPU."""
        p = torch.softmax(self(observation, prev_action, prev_reward), dim=-1)
        action = self.distribution.sample(p)
        return buffer_to(AgentStep(action=action, agent_info=AgentInfo(p=p)), "cpu")
