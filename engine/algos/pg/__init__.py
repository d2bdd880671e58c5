"""Policy-gradient algorithms."""

from engine.algos.pg.a2c import A2C
from engine.algos.pg.base import PolicyGradientAlgo
from engine.algos.pg.ppo import PPO

__all__ = ["A2C", "PPO", "PolicyGradientAlgo"]
