"""Replay buffers (rlpyt ``replays/``): ``[T, B]`` numpy rings, sampled as torch batches."""

from engine.replays.base import BaseReplayBuffer
from engine.replays.frame import FrameBufferMixin
from engine.replays.n_step import BaseNStepReturnBuffer, discount_return_n_step
from engine.replays.non_sequence.frame import (
    NStepFrameBuffer,
    PrioritizedReplayFrameBuffer,
    UniformReplayFrameBuffer,
)
from engine.replays.non_sequence.n_step import (
    NStepReturnBuffer,
    SamplesFromReplay,
    SamplesFromReplayPri,
    SamplesFromReplayTL,
    SamplesFromReplayTLPri,
)
from engine.replays.non_sequence.prioritized import PrioritizedReplay, PrioritizedReplayBuffer
from engine.replays.non_sequence.uniform import UniformReplay, UniformReplayBuffer
from engine.replays.sum_tree import SumTree

__all__ = [
    "BaseNStepReturnBuffer",
    "BaseReplayBuffer",
    "FrameBufferMixin",
    "NStepFrameBuffer",
    "NStepReturnBuffer",
    "PrioritizedReplay",
    "PrioritizedReplayBuffer",
    "PrioritizedReplayFrameBuffer",
    "SamplesFromReplay",
    "SamplesFromReplayPri",
    "SamplesFromReplayTL",
    "SamplesFromReplayTLPri",
    "SumTree",
    "UniformReplay",
    "UniformReplayBuffer",
    "UniformReplayFrameBuffer",
    "discount_return_n_step",
]
