"""The environment interface the samplers step (rlpyt ``envs/base.py``).

An ``Env`` is numpy in, numpy out. ``step`` returns ``EnvStep(observation, reward, done,
env_info)``, where ``env_info`` is a namedtuple with the same numeric fields at every step: the
samplers preallocate one ``[T, B]`` array per field from the first step's example.
Two fields have a meaning to the engine: ``traj_done`` (the trajectory really ended; ``done`` may
be set earlier, e.g. on a lost Atari life) and ``timeout`` (``done`` came from a time limit, not
from the task, so the value after it is not zero).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import namedtuple
from collections.abc import Mapping
from typing import Any

import gymnasium
import numpy as np

from engine.envs.spaces import Composite

EnvStep = namedtuple("EnvStep", ["observation", "reward", "done", "env_info"])
EnvSpaces = namedtuple("EnvSpaces", ["observation", "action"])


class Env(ABC):
    """Base class of every environment the engine runs.

    Spaces are gymnasium leaf spaces, or ``Composite`` spaces of namedarraytuple values
    (``engine.envs.spaces``).
    """

    observation_space: gymnasium.Space
    action_space: gymnasium.Space

    @abstractmethod
    def step(self, action: Any) -> EnvStep:
        """Advance one step; the caller resets after ``done`` (there is no auto-reset)."""

    @abstractmethod
    def reset(self) -> Any:
        """Start a new episode and return its first observation."""

    @abstractmethod
    def seed(self, seed: int) -> None:
        """Seed the environment (applied at the next ``reset``) and its action space."""

    @property
    def spaces(self) -> EnvSpaces:
        return EnvSpaces(observation=self.observation_space, action=self.action_space)

    @property
    def horizon(self) -> int | None:
        """Maximum episode length, if the environment has one."""
        return None

    def close(self) -> None:
        """Release the environment's resources."""

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint needs to continue this environment where it is: mid-episode
        state and random number generators."""
        raise NotImplementedError(f"{type(self).__name__} cannot be checkpointed yet")

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""
        raise NotImplementedError(f"{type(self).__name__} cannot be checkpointed yet")


def null_value(space: gymnasium.Space) -> Any:
    """The blank value of a space (``prev_action`` before any action).

    The lowest value of discrete spaces, zeros otherwise; a namedarraytuple for ``Composite``.
    """
    if isinstance(space, Composite):
        return space.NamedArrayTupleCls(*(null_value(s) for s in space.spaces))
    if isinstance(space, (gymnasium.spaces.Discrete, gymnasium.spaces.MultiDiscrete)):
        return np.asarray(space.start, dtype=space.dtype)
    if isinstance(space, (gymnasium.spaces.Box, gymnasium.spaces.MultiBinary)):
        return np.zeros(space.shape, dtype=space.dtype)
    raise NotImplementedError(f"no null value for {type(space).__name__} spaces")
