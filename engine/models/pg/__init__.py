"""Policy-gradient models: policy (and value) heads for the pg agents."""

from engine.models.pg.mlp import PgMlpModel

__all__ = ["PgMlpModel"]
