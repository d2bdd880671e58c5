"""Policy-gradient algorithms."""

from engine.algos.pg.base import PolicyGradientAlgo
from engine.algos.pg.ppo import PPO

__all__ = ["PPO", "PolicyGradientAlgo"]
