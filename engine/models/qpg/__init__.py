"""Models of the Q-value policy-gradient family: policies and action values for DDPG/TD3/SAC."""

from engine.models.qpg.mlp import MuMlpModel, PiMlpModel, QofMuMlpModel

__all__ = ["MuMlpModel", "PiMlpModel", "QofMuMlpModel"]
