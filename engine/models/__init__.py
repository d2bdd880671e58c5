"""Models: ``torch.nn.Module``s that accept ``[T, B, ...]``, ``[B, ...]`` or ``[...]`` inputs."""

from engine.models.mlp import MlpModel

__all__ = ["MlpModel"]
