"""Action distributions."""

from engine.distributions.base import Distribution
from engine.distributions.categorical import Categorical, DistInfo

__all__ = ["Categorical", "DistInfo", "Distribution"]
