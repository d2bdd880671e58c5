"""Environments: the ``Env`` interface and the gymnasium adapter."""

from engine.envs.base import Env, EnvSpaces, EnvStep, null_value
from engine.envs.gym import EnvInfo, GymEnvWrapper, make

__all__ = ["Env", "EnvInfo", "EnvSpaces", "EnvStep", "GymEnvWrapper", "make", "null_value"]
