"""Frame-based replay of Atari transitions (rlpyt ``replays/non_sequence/frame.py``)."""

from __future__ import annotations

from engine.replays.frame import FrameBufferMixin
from engine.replays.non_sequence.n_step import NStepReturnBuffer
from engine.replays.non_sequence.prioritized import PrioritizedReplay
from engine.replays.non_sequence.uniform import UniformReplay


class NStepFrameBuffer(FrameBufferMixin, NStepReturnBuffer):
    """n-step transitions whose observations are rebuilt from frames stored once."""


class UniformReplayFrameBuffer(UniformReplay, NStepFrameBuffer):
    """Uniform replay over a frame buffer."""


class PrioritizedReplayFrameBuffer(PrioritizedReplay, NStepFrameBuffer):
    """Prioritized replay over a frame buffer."""
