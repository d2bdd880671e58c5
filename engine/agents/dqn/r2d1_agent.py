"""Recurrent epsilon-greedy agent of R2D1 (rlpyt ``agents/dqn/r2d1_agent.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from engine.agents.base import AgentInputs, AgentStep
from engine.agents.dqn.dqn_agent import DqnAgent
from engine.agents.recurrent import RecurrentStateMixin
from engine.models.dqn.r2d1 import RnnState
from engine.utils.buffer import buffer_to
from engine.utils.collections import namedarraytuple

# q: the Q-values the action was chosen from [T, B, A]; prev_rnn_state: the LSTM state the
# step started from, RnnState([T, B, H], [T, B, H]) (what the replay stores).
AgentInfo = namedarraytuple("R2d1AgentInfo", ["q", "prev_rnn_state"])



class R2d1Agent(RecurrentStateMixin, DqnAgent):
    """Epsilon-greedy on an ``R2d1Model``, keeping the LSTM state of every env it steps.

    States are indexed by env: an action server acts for envs ``env_start .. env_start + B``
    (the ``AlternatingSampler``'s second group starts at ``batch_B / 2``), so one agent serves
    every sampler kind without rlpyt's separate alternating agent. Sampling and evaluation keep
    separate states (``sample_mode`` / ``eval_mode`` pick one), so an evaluation between two
    batches leaves the training episodes in flight undisturbed; ``reset`` clears the current
    mode's states, ``reset_one`` one env's.
    """


    def __call__(  # type: ignore[override]
        self,
        observation: torch.Tensor,
        prev_action: torch.Tensor,
        prev_reward: torch.Tensor,
        init_rnn_state: RnnState | None = None,
    ) -> tuple[torch.Tensor, RnnState]:
        """Online network on ``[T, B]`` sequences from ``init_rnn_state [B, H]`` (None: zeros):
        ``-> (q [T, B, A], RnnState [B, H] after the last step)`` on the device."""
        return self.model(
            *buffer_to((observation, prev_action, prev_reward, init_rnn_state), self.device)
        )

    @torch.no_grad()
    def target(  # type: ignore[override]
        self,
        observation: torch.Tensor,
        prev_action: torch.Tensor,
        prev_reward: torch.Tensor,
        init_rnn_state: RnnState | None = None,
    ) -> tuple[torch.Tensor, RnnState]:
        """Target network, like ``__call__`` but without gradients."""
        return self.target_model(
            *buffer_to((observation, prev_action, prev_reward, init_rnn_state), self.device)
        )

    @torch.no_grad()
    def step(  # type: ignore[override]
        self,
        observation: torch.Tensor,
        prev_action: torch.Tensor,
        prev_reward: torch.Tensor,
        env_start: int = 0,
    ) -> AgentStep:
        """Act for envs ``env_start .. env_start + B`` (inputs ``[B, ...]``, or one env
        unbatched) and advance their state: ``AgentStep(action [B], AgentInfo(q [B, A],
        prev_rnn_state [B, H]))`` on CPU."""
        inputs = AgentInputs(observation, prev_action, prev_reward)
        unbatched = prev_reward.dim() == 0
        if unbatched:
            inputs = inputs[None]
        B = inputs.prev_reward.shape[0]
        prev_rnn_state = self._rows(env_start, B)
        q, rnn_state = self(*inputs, prev_rnn_state)
        self._advance(env_start, rnn_state)
        action = self.distribution.sample(q)
        agent_info = AgentInfo(q=q, prev_rnn_state=prev_rnn_state)
        agent_step = buffer_to(AgentStep(action=action, agent_info=agent_info), "cpu")
        return agent_step[0] if unbatched else agent_step

    def state_dict(self) -> dict[str, Any]:
        """Online and target models and the LSTM states in flight, so a resumed run continues
        its episodes."""
        return {**super().state_dict(), "rnn_state": self.rnn_state_dict()}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self.load_rnn_state_dict(state_dict["rnn_state"])
