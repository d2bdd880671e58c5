"""Sequence replays for recurrent agents (R2D1): sequences start where an RNN state is stored."""

from engine.replays.sequence.frame import (
    PrioritizedSequenceReplayFrameBuffer,
    SequenceNStepFrameBuffer,
    UniformSequenceReplayFrameBuffer,
)
from engine.replays.sequence.n_step import SamplesFromReplay, SequenceNStepReturnBuffer
from engine.replays.sequence.prioritized import (
    PrioritizedSequenceReplay,
    PrioritizedSequenceReplayBuffer,
    SamplesFromReplayPri,
)
from engine.replays.sequence.uniform import UniformSequenceReplay, UniformSequenceReplayBuffer

__all__ = [
    "PrioritizedSequenceReplay",
    "PrioritizedSequenceReplayBuffer",
    "PrioritizedSequenceReplayFrameBuffer",
    "SamplesFromReplay",
    "SamplesFromReplayPri",
    "SequenceNStepFrameBuffer",
    "SequenceNStepReturnBuffer",
    "UniformSequenceReplay",
    "UniformSequenceReplayBuffer",
    "UniformSequenceReplayFrameBuffer",
]
