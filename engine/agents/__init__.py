"""Agents: the model plus the logic that turns its outputs into actions."""

from engine.agents.base import AgentInputs, AgentStep, BaseAgent

__all__ = ["AgentInputs", "AgentStep", "BaseAgent"]
