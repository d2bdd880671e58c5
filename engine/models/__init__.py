"""Models: ``torch.nn.Module``s that accept ``[T, B, ...]``, ``[B, ...]`` or ``[...]`` inputs."""

from engine.models.mlp import MlpModel
from engine.models.observation import flatten_observation, observation_size
from engine.models.running_mean_std import RunningMeanStd

__all__ = ["MlpModel", "RunningMeanStd", "flatten_observation", "observation_size"]
