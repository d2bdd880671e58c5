"""Run any ``gymnasium.make`` environment behind the engine's ``Env`` interface."""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from engine.envs.base import Env, EnvStep
from engine.spec import ensure_env_registered
from engine.utils.collections import namedarraytuple

EnvInfo = namedarraytuple("EnvInfo", ["timeout", "traj_done"])

_SUPPORTED_SPACES = (gymnasium.spaces.Discrete, gymnasium.spaces.Box)


class GymEnvWrapper(Env):
    """Adapt a gymnasium 1.x environment to ``Env`` (rlpyt ``envs/gym.py``, new step API).

    * ``done = terminated or truncated``; ``env_info.timeout = truncated and not terminated``
      (a time-limit cut, after which the value is not zero); ``env_info.traj_done = done``.
    * gymnasium's info dict is dropped: ``env_info`` must hold the same numeric fields at every
      step, and gymnasium infos change keys from step to step (e.g. ``final_info``, ``lives``).
    * float64 Box observations become float32 (the dtype of the models and sample buffers).
    * ``seed(s)`` seeds the action space now and the environment at the next ``reset``, since
      gymnasium only seeds through ``reset(seed=...)``.
    """

    def __init__(self, env: gymnasium.Env) -> None:
        for name, space in (("observation", env.observation_space), ("action", env.action_space)):
            if not isinstance(space, _SUPPORTED_SPACES):
                raise NotImplementedError(
                    f"{name} space {space} is not supported yet (Discrete and Box are)"
                )
        self.env = env
        space = env.observation_space
        self._obs_to_float32 = isinstance(space, gymnasium.spaces.Box) and space.dtype == np.float64
        if self._obs_to_float32:
            space = gymnasium.spaces.Box(
                space.low.astype(np.float32), space.high.astype(np.float32), dtype=np.float32
            )
        self.observation_space = space
        self.action_space = env.action_space
        self._pending_seed: int | None = None

    def step(self, action: Any) -> EnvStep:
        observation, reward, terminated, truncated, _ = self.env.step(action)
        if self._obs_to_float32:
            observation = observation.astype(np.float32)
        done = bool(terminated or truncated)
        return EnvStep(observation, reward, done, EnvInfo(bool(truncated) and not terminated, done))

    def reset(self) -> Any:
        observation, _ = self.env.reset(seed=self._pending_seed)
        self._pending_seed = None
        return observation.astype(np.float32) if self._obs_to_float32 else observation

    def seed(self, seed: int) -> None:
        self._pending_seed = seed
        self.action_space.seed(seed)

    @property
    def horizon(self) -> int | None:
        spec = self.env.spec
        return None if spec is None else spec.max_episode_steps

    def close(self) -> None:
        self.env.close()


def make(env_id: str, **kwargs: Any) -> GymEnvWrapper:
    """``gymnasium.make(env_id, **kwargs)`` wrapped as an ``Env``; ALE/ and module:Name ids work."""
    ensure_env_registered(env_id)
    return GymEnvWrapper(gymnasium.make(env_id, **kwargs))
