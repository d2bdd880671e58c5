"""Q-value policy-gradient algorithms: DDPG, TD3, SAC."""

from engine.algos.qpg.base import QpgAlgo
from engine.algos.qpg.ddpg import DDPG, TD3
from engine.algos.qpg.sac import SAC

__all__ = ["DDPG", "SAC", "TD3", "QpgAlgo"]
