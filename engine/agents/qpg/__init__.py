"""Agents of the Q-value policy-gradient family (DDPG, TD3, SAC)."""

from engine.agents.qpg.base import AgentInfo, QpgAgent, action_bound
from engine.agents.qpg.ddpg import DdpgAgent, Td3Agent
from engine.agents.qpg.sac import SacAgent

__all__ = ["AgentInfo", "DdpgAgent", "QpgAgent", "SacAgent", "Td3Agent", "action_bound"]
