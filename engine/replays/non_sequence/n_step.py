"""Batches of single transitions from the n-step ring (rlpyt ``replays/non_sequence/n_step.py``)."""

from __future__ import annotations

import numpy as np

from engine.agents.base import AgentInputs
from engine.replays.n_step import BaseNStepReturnBuffer
from engine.utils.buffer import torchify_buffer
from engine.utils.collections import namedarraytuple

_FIELDS = ["agent_inputs", "action", "return_", "done", "done_n", "target_inputs"]
SamplesFromReplay = namedarraytuple("SamplesFromReplay", _FIELDS)
# Time-limit aware buffers (a ``timeout`` field stored) add ``timeout_n``; prioritized ones add
# ``is_weights``.
SamplesFromReplayTL = namedarraytuple("SamplesFromReplayTL", [*_FIELDS, "timeout_n"])
SamplesFromReplayPri = namedarraytuple("SamplesFromReplayPri", [*_FIELDS, "is_weights"])
SamplesFromReplayTLPri = namedarraytuple(
    "SamplesFromReplayTLPri", [*_FIELDS, "timeout_n", "is_weights"]
)


class NStepReturnBuffer(BaseNStepReturnBuffer):
    """Extracts transitions: inputs at ``t``, the n-step return, and target inputs at ``t + n``."""

    def extract_batch(self, T_idxs: np.ndarray, B_idxs: np.ndarray) -> SamplesFromReplay:
        """Torch batch ``[len(T_idxs)]``: ``agent_inputs`` at ``T_idxs``, ``action``, ``return_``,
        ``done``, ``done_n`` (floats 0/1), ``target_inputs`` at ``T_idxs + n_step_return``, and
        ``timeout_n`` (float) when the buffer stores ``timeout``.

        ``prev_action`` and ``prev_reward`` are zeroed where the previous step was ``done``, as
        the sampler gives them after a reset.
        """
        target_T_idxs = (T_idxs + self.n_step_return) % self.T
        fields = dict(
            agent_inputs=self._agent_inputs(T_idxs, B_idxs),
            action=self.samples.action[T_idxs, B_idxs],
            return_=self.samples_return_[T_idxs, B_idxs],
            done=self.samples.done[T_idxs, B_idxs].astype(np.float32),
            done_n=self.samples_done_n[T_idxs, B_idxs].astype(np.float32),
            target_inputs=self._agent_inputs(target_T_idxs, B_idxs),
        )
        if self.has_timeout:
            timeout_n = self.samples_timeout_n[T_idxs, B_idxs].astype(np.float32)
            return torchify_buffer(SamplesFromReplayTL(**fields, timeout_n=timeout_n))
        return torchify_buffer(SamplesFromReplay(**fields))

    def _agent_inputs(self, T_idxs: np.ndarray, B_idxs: np.ndarray) -> AgentInputs:
        s, prev = self.samples, T_idxs - 1  # row -1 wraps to the ring's end, as time does
        prev_action, prev_reward = s.action[prev, B_idxs], s.reward[prev, B_idxs]
        new_episode = s.done[prev, B_idxs].astype(bool)
        prev_action[new_episode] = 0  # fancy indexing copied them: the storage is untouched
        prev_reward[new_episode] = 0
        return AgentInputs(self.extract_observation(T_idxs, B_idxs), prev_action, prev_reward)
