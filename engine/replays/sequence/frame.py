"""Sequence replay storing each Atari frame once (rlpyt ``replays/sequence/frame.py``)."""

from __future__ import annotations

import numpy as np

from engine.replays.frame import FrameBufferMixin
from engine.replays.sequence.n_step import SequenceNStepReturnBuffer
from engine.replays.sequence.prioritized import PrioritizedSequenceReplay
from engine.replays.sequence.uniform import UniformSequenceReplay


class SequenceNStepFrameBuffer(FrameBufferMixin, SequenceNStepReturnBuffer):
    """Frame storage (``FrameBufferMixin``) for sequences: each replayed step gets its whole
    ``[C, H, W]`` stack back, so consecutive steps repeat ``C - 1`` frames in the batch (what
    the conv net takes), with frames from before an episode's reset blanked."""

    def extract_observation_sequences(
        self, T_idxs: np.ndarray, B_idxs: np.ndarray, length: int
    ) -> np.ndarray:
        """Stacks ``[length, batch_B, C, H, W]`` from rows ``T_idxs`` on, oldest frame first."""
        rows = (T_idxs[None, :] + np.arange(length)[:, None]) % self.T
        cols = np.broadcast_to(B_idxs[None, :], rows.shape)
        stacks = self.extract_observation(rows.ravel(), cols.ravel())
        return stacks.reshape(length, len(B_idxs), *stacks.shape[1:])


class UniformSequenceReplayFrameBuffer(UniformSequenceReplay, SequenceNStepFrameBuffer):
    pass


class PrioritizedSequenceReplayFrameBuffer(PrioritizedSequenceReplay, SequenceNStepFrameBuffer):
    pass
