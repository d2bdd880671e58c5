"""Policy-gradient agent for continuous actions (rlpyt ``agents/pg/gaussian.py``)."""

from __future__ import annotations

from typing import Any

import gymnasium

from engine.agents.pg.base import PgAgent
from engine.distributions.gaussian import DistInfoStd, Gaussian
from engine.envs.base import EnvSpaces


class GaussianPgAgent(PgAgent):
    """Samples actions from a diagonal Gaussian policy; also reports the state value.

    The model maps ``(observation, prev_action, prev_reward)`` to ``(mean, log_std, value)``;
    ``agent_info = AgentInfo(dist_info=DistInfoStd(mean, log_std) [B, A], value [B])``.
    Actions ``[B, A]`` are recorded unclipped (their log-likelihood is what the algorithm
    needs); the environment wrapper clips them to the action space's bounds, as rlpyt's
    agents leave that to the environment.
    """

    DistInfoCls = DistInfoStd
    distribution: Gaussian

    def initialize(self, env_spaces: EnvSpaces) -> None:
        super().initialize(env_spaces)
        self.distribution = Gaussian(dim=env_spaces.action.shape[0])

    def make_env_to_model_kwargs(self, env_spaces: EnvSpaces) -> dict[str, Any]:
        action = env_spaces.action
        if not isinstance(action, gymnasium.spaces.Box) or len(action.shape) != 1:
            raise TypeError(f"{type(self).__name__} needs a 1-d Box action space, got {action}")
        return dict(observation_shape=env_spaces.observation.shape, action_size=action.shape[0])
