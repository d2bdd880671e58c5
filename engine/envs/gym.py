"""Run any ``gymnasium.make`` environment behind the engine's ``Env`` interface."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import Any

import gymnasium
import numpy as np

from engine.envs.base import Env, EnvStep
from engine.envs.spaces import GymSpaceWrapper
from engine.spec import ensure_env_registered
from engine.utils.collections import namedarraytuple

EnvInfo = namedarraytuple("EnvInfo", ["timeout", "traj_done"])
# Immutable (fields are Python bools), so one instance of each possible value serves every step.
_RUNNING = EnvInfo(timeout=False, traj_done=False)
_TERMINATED = EnvInfo(timeout=False, traj_done=True)
_TRUNCATED = EnvInfo(timeout=True, traj_done=True)
_tuple_new = tuple.__new__


class GymEnvWrapper(Env):
    """Adapt a gymnasium 1.x environment to ``Env`` (rlpyt ``envs/gym.py``, new step API).

    * ``done = terminated or truncated``; ``env_info.timeout = truncated and not terminated``
      (a time-limit cut, after which the value is not zero); ``env_info.traj_done = done``.
    * gymnasium's info dict is dropped: ``env_info`` must hold the same numeric fields at every
      step, and gymnasium infos change keys from step to step (e.g. ``final_info``, ``lives``).
    * Spaces go through ``GymSpaceWrapper``: float64 becomes float32, ``Dict`` and ``Tuple``
      observations become namedarraytuples, ``Box`` actions are clipped to their bounds.
    * ``seed(s)`` seeds the action space now and the environment at the next ``reset``, since
      gymnasium only seeds through ``reset(seed=...)``.
    """

    def __init__(self, env: gymnasium.Env) -> None:
        self.env = env
        self._observation = GymSpaceWrapper(env.observation_space, "Observation")
        self._action = GymSpaceWrapper(env.action_space, "Action")
        self.observation_space = self._observation.space
        self._convert = self._observation.convert
        self._revert = self._action.revert
        self.action_space = self._action.space
        self._pending_seed: int | None = None

    def step(self, action: Any) -> EnvStep:
        # The hot path of every sampler: the three possible env_infos are shared constants,
        # and the EnvStep tuple is built without namedtuple's Python-level __new__.
        observation, reward, terminated, truncated, _ = self.env.step(self._revert(action))
        if terminated:
            done, env_info = True, _TERMINATED
        elif truncated:
            done, env_info = True, _TRUNCATED
        else:
            done, env_info = False, _RUNNING
        return _tuple_new(EnvStep, (self._convert(observation), reward, done, env_info))

    def reset(self) -> Any:
        observation, _ = self.env.reset(seed=self._pending_seed)
        self._pending_seed = None
        return self._observation.convert(observation)

    def seed(self, seed: int) -> None:
        self._pending_seed = seed
        self.action_space.seed(seed)

    def state_dict(self) -> dict[str, Any]:
        """The gymnasium env and the action space (with its RNG), pickled whole, plus what
        ``EzPickle`` environments leave out of their pickle.

        Classic control and toy text pickle their state. ``EzPickle`` environments (MuJoCo,
        Box2D) pickle only their constructor arguments, so the base environment's RNG is saved
        beside, and a MuJoCo simulation's full integration state (``mj_getState``: time, qpos,
        qvel, actuator and warm-start state): a resumed MuJoCo run steps exactly as before.
        Box2D worlds cannot be saved; those resume from a fresh world.
        """
        base = self.env.unwrapped
        np_random = getattr(base, "_np_random", None)
        return {
            "env": pickle.dumps(self.env),
            "action_space": pickle.dumps(self.action_space),
            "pending_seed": self._pending_seed,
            "np_random": None if np_random is None else np_random.bit_generator.state,
            "mujoco_state": _mujoco_state(base),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.env.close()
        self.env = pickle.loads(state["env"])
        self.action_space = self._action.space = pickle.loads(state["action_space"])
        self._pending_seed = state["pending_seed"]
        base = self.env.unwrapped
        if state["np_random"] is not None:
            base.np_random = np.random.Generator(np.random.PCG64())
            base.np_random.bit_generator.state = state["np_random"]
        if state["mujoco_state"] is not None:
            import mujoco

            spec = mujoco.mjtState.mjSTATE_INTEGRATION
            mujoco.mj_setState(base.model, base.data, state["mujoco_state"], spec)
            mujoco.mj_forward(base.model, base.data)

    @property
    def horizon(self) -> int | None:
        spec = self.env.spec
        return None if spec is None else spec.max_episode_steps

    def close(self) -> None:
        self.env.close()


def _mujoco_state(base: gymnasium.Env) -> np.ndarray | None:
    """The integration state of a MuJoCo environment's simulation, or None for other envs."""
    model, data = getattr(base, "model", None), getattr(base, "data", None)
    if type(data).__module__ != "mujoco._structs":
        return None
    import mujoco

    # Everything mj_step reads: time, qpos, qvel, act, warm-start, controls, applied forces.
    spec = mujoco.mjtState.mjSTATE_INTEGRATION
    state = np.empty(mujoco.mj_stateSize(model, spec), dtype=np.float64)
    mujoco.mj_getState(model, data, state, spec)
    return state


def is_atari(env_id: str) -> bool:
    """Whether ``make`` builds an ``AtariEnv`` for ``env_id``."""
    return env_id.startswith("ALE/")


def make(env_id: str, **kwargs: Any) -> Env:
    """The env factory: any ``gymnasium.make`` id, ``module:Name`` ids included, as an ``Env``.

    ``ALE/`` ids get ``AtariEnv`` (its preprocessing and ``kwargs``); others are
    ``gymnasium.make(env_id, **kwargs)`` behind ``GymEnvWrapper``.
    """
    ensure_env_registered(env_id)
    if is_atari(env_id):
        # Imported here: atari.py imports the samplers' TrajInfo, and the samplers this package.
        from engine.envs.atari import AtariEnv

        return AtariEnv(env_id, **kwargs)
    return GymEnvWrapper(gymnasium.make(env_id, **kwargs))

