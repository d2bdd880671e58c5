"""Per-env LSTM state for recurrent agents, shared by every family (PPO/A2C, R2D1)."""

from __future__ import annotations

import torch

from engine.agents.base import BaseAgent
from engine.envs.base import EnvSpaces
from engine.models.rnn import RnnState
from engine.utils.buffer import buffer_to

MODES = ("sample", "eval")


class RecurrentStateMixin(BaseAgent):
    """Keeps one ``RnnState([n_envs, H], [n_envs, H])`` per mode (``sample_mode`` /
    ``eval_mode`` pick one), so an evaluation between two batches leaves the training episodes
    in flight undisturbed; ``reset`` clears the current mode's states, ``reset_one`` one env's.
    Envs are addressed by index (``env_start`` of a slice), so every sampler kind works.
    The model gives ``rnn_state_size`` (H)."""

    recurrent = True

    def initialize(self, env_spaces: EnvSpaces) -> None:
        super().initialize(env_spaces)
        self._mode = "sample"
        # mode -> RnnState([n_envs, H], [n_envs, H]) on self.device, or None (all zeros).
        self._rnn_state: dict[str, RnnState | None] = dict.fromkeys(MODES)

    def _rows(self, env_start: int, B: int) -> RnnState:
        """A copy of the state of envs ``env_start .. env_start + B`` (zeros for new envs)."""
        state = self._rnn_state[self._mode]
        stop = env_start + B
        if state is None or state.h.shape[0] < stop:
            size = self.model.rnn_state_size
            grown = RnnState(*(torch.zeros(stop, size, device=self.device) for _ in range(2)))
            if state is not None:
                grown[: state.h.shape[0]] = state
            state = self._rnn_state[self._mode] = grown
        return RnnState(state.h[env_start:stop].clone(), state.c[env_start:stop].clone())

    def _advance(self, env_start: int, rnn_state: RnnState) -> None:
        """Store the state the envs ``env_start ..`` reached with this step."""
        self._rnn_state[self._mode][env_start : env_start + rnn_state.h.shape[0]] = rnn_state

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
        self.load_rnn_state_dict(self._rnn_state)

    def rnn_state_dict(self) -> dict[str, RnnState | None]:
        """The per-mode states of the envs in flight, for a checkpoint (the agent's own, and
        those of each CPU-sampler worker's copy of the agent)."""
        return self._rnn_state

    def load_rnn_state_dict(self, rnn_state: dict[str, RnnState | None]) -> None:
        """Take the per-mode states of a checkpoint (or this agent's), on this device."""
        self._rnn_state = {mode: buffer_to(state, self.device) for mode, state in rnn_state.items()}
