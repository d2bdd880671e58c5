"""Policy-gradient agents."""

from engine.agents.pg.base import AgentInfo, AgentInfoRnn, PgAgent
from engine.agents.pg.categorical import CategoricalPgAgent
from engine.agents.pg.gaussian import GaussianPgAgent
from engine.agents.pg.recurrent import (
    RecurrentCategoricalPgAgent,
    RecurrentGaussianPgAgent,
    RecurrentPgAgentMixin,
)

__all__ = [
    "AgentInfo",
    "AgentInfoRnn",
    "CategoricalPgAgent",
    "GaussianPgAgent",
    "PgAgent",
    "RecurrentCategoricalPgAgent",
    "RecurrentGaussianPgAgent",
    "RecurrentPgAgentMixin",
]
