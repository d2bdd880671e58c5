"""Parameters of the qpg family; filled in with its algorithms."""

from __future__ import annotations

from engine.spec.base import Section

FAMILY = "qpg"
BUILDER = "engine.build.qpg"

#: The ``algo`` sections of this family, one per algorithm name.
ALGO_SECTIONS: list[type[Section]] = []
