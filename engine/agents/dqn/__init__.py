"""Agents of the DQN family."""

from engine.agents.dqn.cat_dqn_agent import CatDqnAgent
from engine.agents.dqn.dqn_agent import DqnAgent
from engine.agents.dqn.epsilon_greedy import EpsilonGreedyAgentMixin

__all__ = ["CatDqnAgent", "DqnAgent", "EpsilonGreedyAgentMixin"]
