"""Recurrent epsilon-greedy agent of R2D1 (rlpyt ``agents/dqn/r2d1_agent.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from engine.agents.base import AgentInputs, AgentStep
from engine.agents.dqn.dqn_agent import DqnAgent
from engine.envs.base import EnvSpaces
from engine.models.dqn.r2d1 import RnnState
from engine.utils.buffer import buffer_to
from engine.utils.collections import namedarraytuple

# q: the Q-values the action was chosen from [T, B, A]; prev_rnn_state: the LSTM state the
# step started from, RnnState([T, B, H], [T, B, H]) (what the replay stores).
AgentInfo = namedarraytuple("R2d1AgentInfo", ["q", "prev_rnn_state"])

MODES = ("sample", "eval")


class R2d1Agent(DqnAgent):
    """Epsilon-greedy on an ``R2d1Model``, keeping the LSTM state of every env it steps.

    States are indexed by env: an action server acts for envs ``env_start .. env_start + B``
    (the ``AlternatingSampler``'s second group starts at ``batch_B / 2``), so one agent serves
    every sampler kind without rlpyt's separate alternating agent. Sampling and evaluation keep
    separate states (``sample_mode`` / ``eval_mode`` pick one), so an evaluation between two
    batches leaves the training episodes in flight undisturbed; ``reset`` clears the current
    mode's states, ``reset_one`` one env's.
    """

    recurrent = True

    def initialize(self, env_spaces: EnvSpaces) -> None:
        super().initialize(env_spaces)
        self._mode = "sample"
        # mode -> RnnState([n_envs, H], [n_envs, H]) on self.device, or None (all zeros).
        self._rnn_state: dict[str, RnnState | None] = dict.fromkeys(MODES)

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

    def _rows(self, env_start: int, B: int) -> RnnState:
        """A copy of the state of envs ``env_start .. env_start + B`` (zeros for new envs)."""
        state = self._rnn_state[self._mode]
        stop = env_start + B
        if state is None or state.h.shape[0] < stop:
            size = self.model.lstm.hidden_size
            grown = RnnState(*(torch.zeros(stop, size, device=self.device) for _ in range(2)))
            if state is not None:
                grown[: state.h.shape[0]] = state
            state = self._rnn_state[self._mode] = grown
        return RnnState(state.h[env_start:stop].clone(), state.c[env_start:stop].clone())

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
        self._rnn_state[self._mode][env_start : env_start + B] = rnn_state
        action = self.distribution.sample(q)
        agent_info = AgentInfo(q=q, prev_rnn_state=prev_rnn_state)
        agent_step = buffer_to(AgentStep(action=action, agent_info=agent_info), "cpu")
        return agent_step[0] if unbatched else agent_step

    def reset(self) -> None:
        self._rnn_state[self._mode] = None

    def reset_one(self, idx: int) -> None:
        state = self._rnn_state[self._mode]
        if state is not None and idx < state.h.shape[0]:
            state[idx] = 0

    def sample_mode(self, itr: int) -> None:
        super().sample_mode(itr)
        self._mode = "sample"

    def eval_mode(self, itr: int) -> None:
        super().eval_mode(itr)
        self._mode = "eval"

    def to_device(self, device: torch.device | str) -> None:
        super().to_device(device)
        self._rnn_state = {
            mode: buffer_to(state, self.device) for mode, state in self._rnn_state.items()
        }

    def state_dict(self) -> dict[str, Any]:
        """Online and target models and the LSTM states in flight, so a resumed run continues
        its episodes."""
        return {**super().state_dict(), "rnn_state": self._rnn_state}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._rnn_state = {
            mode: buffer_to(state, self.device) for mode, state in state_dict["rnn_state"].items()
        }
