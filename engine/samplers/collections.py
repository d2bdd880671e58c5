"""Structures that samplers hand to runners and algorithms (rlpyt ``samplers/collections.py``)."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from engine.utils.collections import namedarraytuple

# Every field is [T, B, ...] except AgentSamples.bootstrap_value: [B], the value of the
# observation after the batch (None unless the algorithm bootstraps). It has no time dim, so
# read it from samples.agent directly rather than through samples[t].
Samples = namedarraytuple("Samples", ["agent", "env"])
AgentSamples = namedarraytuple(
    "AgentSamples", ["action", "prev_action", "agent_info", "bootstrap_value"]
)
EnvSamples = namedarraytuple(
    "EnvSamples", ["observation", "reward", "prev_reward", "done", "env_info"]
)
# What the env side and the agent side of a sampler exchange each step, [B, ...]: the
# observation to act on, the last action and reward (the agent's prev_action and prev_reward
# inputs; action is then overwritten with the new one) and the last done.
StepBuffer = namedarraytuple("StepBuffer", ["observation", "action", "reward", "done"])


class BatchSpec(namedtuple("BatchSpec", ["T", "B"])):
    """Time steps ``T`` per batch and environment instances ``B``."""

    __slots__ = ()

    @property
    def size(self) -> int:
        return self.T * self.B


class TrajInfo:
    """Statistics of one trajectory, accumulated step by step.

    Public attributes (CamelCase, rlpyt's convention) are what the runner logs; a subclass adds
    fields, e.g. a game score read from ``env_info``.
    """

    def __init__(self, discount: float = 1.0) -> None:
        self.Length = 0
        self.Return = 0.0
        self.NonzeroRewards = 0
        self.DiscountedReturn = 0.0
        self._discount = discount
        self._cur_discount = 1.0

    def step(self, observation: Any, action: Any, reward: float, done: bool, env_info: Any) -> None:
        """Account for one transition taken from ``observation``."""
        self.Length += 1
        self.Return += reward
        self.NonzeroRewards += reward != 0
        self.DiscountedReturn += self._cur_discount * reward
        self._cur_discount *= self._discount

    def terminate(self, observation: Any) -> TrajInfo:
        """Close the trajectory (``observation``: its last one) and return the finished record."""
        return self

    def fields(self) -> dict[str, float]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}
