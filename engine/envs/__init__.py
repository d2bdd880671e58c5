"""Environments: the ``Env`` interface, the gymnasium adapter and its spaces.

``engine.envs.atari`` (``AtariEnv``, built by ``make`` for ``ALE/`` ids) is not imported here:
it imports the samplers' ``TrajInfo``, and the samplers import this package.
"""

from engine.envs.base import Env, EnvSpaces, EnvStep, null_value
from engine.envs.gym import EnvInfo, GymEnvWrapper, is_atari, make
from engine.envs.spaces import Composite, GymSpaceWrapper

__all__ = [
    "Composite",
    "Env",
    "EnvInfo",
    "EnvSpaces",
    "EnvStep",
    "GymEnvWrapper",
    "GymSpaceWrapper",
    "is_atari",
    "make",
    "null_value",
]
