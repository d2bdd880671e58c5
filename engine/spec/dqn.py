"""Parameters of the deep Q-learning family (DQN, CategoricalDQN); filled in with its algorithms."""

from __future__ import annotations

from engine.spec.base import Section

FAMILY = "dqn"
BUILDER = "engine.build.dqn"

#: The ``algo`` sections of this family, one per algorithm name.
ALGO_SECTIONS: list[type[Section]] = []
