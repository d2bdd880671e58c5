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
from typing import Any

import gymnasium
import numpy as np

EnvStep = namedtuple("EnvStep", ["observation", "reward", "done", "env_info"])
EnvSpaces = namedtuple("EnvSpaces", ["observation", "action"])


class Env(ABC):
    """Base class of every environment the engine runs.

    Spaces are gymnasium spaces (``Discrete`` and ``Box`` for now).
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


def null_value(space: gymnasium.Space) -> np.ndarray:
    """The blank value of a space (``prev_action`` before any action): Discrete start, Box zeros."""
    if isinstance(space, gymnasium.spaces.Discrete):
        return np.asarray(space.start, dtype=space.dtype)
    if isinstance(space, gymnasium.spaces.Box):
        return np.zeros(space.shape, dtype=space.dtype)
    raise NotImplementedError(f"no null value for {type(space).__name__} spaces yet")
