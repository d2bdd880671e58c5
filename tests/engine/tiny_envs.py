"""A tiny environment with configurable spaces, registered as ``TinySpaces-v0`` on import.

Tests make it by the ``module:Name`` id ``tests.engine.tiny_envs:TinySpaces-v0``, which
imports this module first. Observations are samples of the observation space; the env keeps
the last action it received, so tests can check what the adapter passed on.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

SPACES: dict[str, gymnasium.Space] = {
    "discrete": spaces.Discrete(5, start=1),
    "box64": spaces.Box(-1.0, 1.0, (3,), np.float64),
    "box_uint8": spaces.Box(0, 255, (2, 4), np.uint8),
    "multi_discrete": spaces.MultiDiscrete([3, 4]),
    "multi_binary": spaces.MultiBinary(6),
    "dict": spaces.Dict(
        {
            "position": spaces.Box(-1.0, 1.0, (2,), np.float64),
            "ale.lives": spaces.Discrete(4),
            "inner": spaces.Tuple((spaces.MultiBinary(3), spaces.Box(0, 1, (1,), np.float32))),
        }
    ),
    "tuple": spaces.Tuple((spaces.Discrete(2), spaces.Box(-2.0, 2.0, (2, 2), np.float64))),
}


class TinySpacesEnv(gymnasium.Env):
    """Episodes of ``length`` steps with ``SPACES[observation]`` and ``SPACES[action]``."""

    def __init__(self, observation: str = "box64", action: str = "discrete", length: int = 3):
        self.observation_space = SPACES[observation]
        self.action_space = SPACES[action]
        self.length = length
        self.last_action: Any = None
        self.t = 0

    def reset(self, *, seed: int | None = None, options: Any = None) -> tuple[Any, dict]:
        super().reset(seed=seed)
        if seed is not None:
            self.observation_space.seed(seed)
        self.t = 0
        return self.observation_space.sample(), {}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        self.last_action = action
        self.t += 1
        return self.observation_space.sample(), 1.0, self.t >= self.length, False, {}


gymnasium.register("TinySpaces-v0", entry_point=TinySpacesEnv, disable_env_checker=True)
