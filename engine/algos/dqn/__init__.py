"""Q-learning algorithms."""

from engine.algos.dqn.cat_dqn import CategoricalDQN
from engine.algos.dqn.dqn import DQN

__all__ = ["DQN", "CategoricalDQN"]
