"""Partially observed classic control, for testing memory: CartPole without its velocities.

Import this module (or use the id ``engine.envs.pomdp:CartPoleNoVelocity-v1``, which gymnasium
imports first) to register ``CartPoleNoVelocity-v1``: CartPole-v1 observing only the cart
position and the pole angle. A feed-forward agent cannot infer the velocities from one
observation; a recurrent one can from two.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from gymnasium.envs.classic_control import CartPoleEnv

# CartPole's observation: x, x_dot, theta, theta_dot.
POSITION_INDICES = (0, 2)


class NoVelocityObservation(gymnasium.ObservationWrapper):
    """Keeps only the position entries of CartPole's observation."""

    def __init__(self, env: gymnasium.Env) -> None:
        super().__init__(env)
        box = env.observation_space
        assert isinstance(box, gymnasium.spaces.Box)
        idx = list(POSITION_INDICES)
        self.observation_space = gymnasium.spaces.Box(box.low[idx], box.high[idx], dtype=box.dtype)

    def observation(self, observation: np.ndarray) -> np.ndarray:
        return observation[list(POSITION_INDICES)]


def make_cartpole_no_velocity(**kwargs: Any) -> gymnasium.Env:
    # The TimeLimit comes from the registration below, outside this wrapper.
    return NoVelocityObservation(CartPoleEnv(**kwargs))


if "CartPoleNoVelocity-v1" not in gymnasium.registry:
    gymnasium.register(
        "CartPoleNoVelocity-v1",
        entry_point=make_cartpole_no_velocity,
        max_episode_steps=500,
        reward_threshold=475.0,
    )
