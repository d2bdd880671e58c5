"""Policy-gradient agents."""

from engine.agents.pg.base import AgentInfo
from engine.agents.pg.categorical import CategoricalPgAgent

__all__ = ["AgentInfo", "CategoricalPgAgent"]
