"""Recurrent policy-gradient agents (rlpyt ``RecurrentCategoricalPgAgent``,
``RecurrentGaussianPgAgent`` and their ``Alternating*`` variants in one).

The agent keeps the LSTM state of every env it steps, indexed by env: a sampler's action
server acts for envs ``env_start .. env_start + B`` (the ``AlternatingSampler``'s second group
starts at ``batch_B / 2``), so one agent serves every sampler kind, alternating groups included,
without rlpyt's separate two-state alternating agents. Sampling and evaluation keep separate
states (``sample_mode`` / ``eval_mode`` pick one), so an evaluation between two batches does
not disturb the training episodes in flight.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from engine.agents.base import AgentInputs, AgentStep
from engine.agents.pg.base import AgentInfoRnn, PgAgent
from engine.agents.pg.categorical import CategoricalPgAgent
from engine.agents.pg.gaussian import GaussianPgAgent
from engine.agents.recurrent import RecurrentStateMixin
from engine.distributions.gaussian import DistInfoStd
from engine.envs.base import EnvSpaces
from engine.models.pg.lstm import RnnState
from engine.utils.buffer import buffer_to


class RecurrentPgAgentMixin(RecurrentStateMixin, PgAgent):
    """Per-env LSTM state for a ``PgLstmModel``; mixed in before a feed-forward pg agent.

    ``agent_info = AgentInfoRnn(dist_info, value, prev_rnn_state)`` with ``prev_rnn_state`` the
    ``RnnState([B, H], [B, H])`` each step started from.
    """


    def make_env_to_model_kwargs(self, env_spaces: EnvSpaces) -> dict[str, Any]:
        return dict(
            **super().make_env_to_model_kwargs(env_spaces),
            gaussian=self.DistInfoCls is DistInfoStd,
        )

    def __call__(
        self,
        observation: torch.Tensor,
        prev_action: torch.Tensor,
        prev_reward: torch.Tensor,
        init_rnn_state: RnnState | None = None,
        reset: torch.Tensor | None = None,
    ) -> tuple[Any, torch.Tensor, RnnState]:
        """Training forward pass over whole sequences: ``[T, B]`` inputs from
        ``init_rnn_state [B, H]``, the state zeroed before step ``t`` of env ``b`` where
        ``reset[t, b]``; ``-> (dist_info [T, B, ...], value [T, B], final RnnState [B, H])``."""
        model_inputs = buffer_to(
            (observation, prev_action, prev_reward, init_rnn_state, reset), self.device
        )
        *pi, value, rnn_state = self.model(*model_inputs)
        return self.DistInfoCls(*pi), value, rnn_state

    @torch.no_grad()
    def step(
        self,
        observation: torch.Tensor,
        prev_action: torch.Tensor,
        prev_reward: torch.Tensor,
        env_start: int = 0,
    ) -> AgentStep:
        """Act for envs ``env_start .. env_start + B`` (inputs ``[B, ...]``, or one env
        unbatched) and advance their state; ``AgentStep`` on CPU."""
        inputs = AgentInputs(observation, prev_action, prev_reward)
        unbatched = prev_reward.dim() == 0
        if unbatched:
            inputs = inputs[None]
        B = inputs.prev_reward.shape[0]
        prev_rnn_state = self._rows(env_start, B)
        dist_info, value, rnn_state = self(*inputs, prev_rnn_state)
        self._advance(env_start, rnn_state)
        action = self.distribution.sample(dist_info)
        agent_info = AgentInfoRnn(dist_info=dist_info, value=value, prev_rnn_state=prev_rnn_state)
        agent_step = buffer_to(AgentStep(action=action, agent_info=agent_info), "cpu")
        return agent_step[0] if unbatched else agent_step

    @torch.no_grad()
    def value(
        self,
        observation: torch.Tensor,
        prev_action: torch.Tensor,
        prev_reward: torch.Tensor,
        env_start: int = 0,
    ) -> torch.Tensor:
        """Bootstrap value ``[B]`` (CPU) of envs ``env_start ..`` from their current state,
        which is left as it is."""
        rnn_state = self._rows(env_start, prev_reward.shape[0])
        _, value, _ = self(observation, prev_action, prev_reward, rnn_state)
        return value.cpu()

    def state_dict(self) -> dict[str, Any]:
        """The model and the LSTM states in flight, so a resumed run continues its episodes."""
        return {"model": self.model.state_dict(), "rnn_state": self.rnn_state_dict()}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        self.model.load_state_dict(state_dict["model"])
        self.load_rnn_state_dict(state_dict["rnn_state"])


class RecurrentCategoricalPgAgent(RecurrentPgAgentMixin, CategoricalPgAgent):
    """``CategoricalPgAgent`` over a ``PgLstmModel``."""


class RecurrentGaussianPgAgent(RecurrentPgAgentMixin, GaussianPgAgent):
    """``GaussianPgAgent`` over a ``PgLstmModel`` (state-dependent log_std)."""
