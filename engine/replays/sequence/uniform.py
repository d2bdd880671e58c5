"""Uniform sequence replay (rlpyt ``replays/sequence/uniform.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.replays.sequence.n_step import SequenceNStepReturnBuffer


class UniformSequenceReplay:
    """Sequences drawn uniformly from every start that holds a whole sequence now (mixed
    before a ``SequenceNStepReturnBuffer``)."""

    def sample_batch(self: Any, batch_B: int, batch_T: int | None = None) -> Any:
        """``batch_B`` sequences of ``batch_T`` steps (default: the buffer's ``batch_T``),
        as ``SamplesFromReplay`` ``[batch_T (+ n_step_return), batch_B]``."""
        batch_T = self.batch_T if batch_T is None else batch_T
        starts = self.sequence_starts[self.valid_starts(batch_T)]
        if len(starts) == 0:
            raise RuntimeError(f"no sequence of {batch_T} steps in the replay buffer yet")
        T_idxs = starts[np.random.randint(len(starts), size=batch_B)]
        B_idxs = np.random.randint(self.B, size=batch_B)
        return self.extract_batch(T_idxs, B_idxs, batch_T)


class UniformSequenceReplayBuffer(UniformSequenceReplay, SequenceNStepReturnBuffer):
    pass
