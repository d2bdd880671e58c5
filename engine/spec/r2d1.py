"""Parameters of R2D1, the recurrent member of the deep Q-learning family."""

from __future__ import annotations

from engine.spec.base import Section

FAMILY = "dqn"
BUILDER = "engine.build.r2d1"

#: The ``algo`` sections of this family, one per algorithm name.
ALGO_SECTIONS: list[type[Section]] = []
