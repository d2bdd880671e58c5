"""Policy-gradient models: policy and value heads for the pg agents."""

from engine.models.pg.conv import PgConvModel
from engine.models.pg.lstm import PgLstmModel, RnnState
from engine.models.pg.mlp import GaussianPgMlpModel, PgMlpModel

__all__ = ["GaussianPgMlpModel", "PgConvModel", "PgLstmModel", "PgMlpModel", "RnnState"]
