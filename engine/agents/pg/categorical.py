"""Policy-gradient agent for discrete actions (rlpyt ``agents/pg/categorical.py``)."""

from __future__ import annotations

from typing import Any

import gymnasium

from engine.agents.pg.base import PgAgent
from engine.distributions.categorical import Categorical, DistInfo
from engine.envs.base import EnvSpaces


class CategoricalPgAgent(PgAgent):
    """Samples actions from a categorical policy; also reports the state value.

    The model maps ``(observation, prev_action, prev_reward)`` to ``(pi_logits, value)``;
    ``agent_info = AgentInfo(dist_info=DistInfo(logits [B, A]), value [B])``, actions ``[B]``.
    """

    DistInfoCls = DistInfo
    distribution: Categorical

    def initialize(self, env_spaces: EnvSpaces) -> None:
        super().initialize(env_spaces)
        self.distribution = Categorical(dim=env_spaces.action.n)

    def make_env_to_model_kwargs(self, env_spaces: EnvSpaces) -> dict[str, Any]:
        if not isinstance(env_spaces.action, gymnasium.spaces.Discrete):
            raise TypeError(
                f"{type(self).__name__} needs a Discrete action space, got {env_spaces.action}"
            )
        return dict(
            observation_shape=env_spaces.observation.shape, action_size=int(env_spaces.action.n)
        )
