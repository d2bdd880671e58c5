"""Samplers: collect ``[T, B]`` training batches and evaluation trajectories."""

from engine.samplers.base import BaseSampler
from engine.samplers.collections import AgentSamples, BatchSpec, EnvSamples, Samples, TrajInfo
from engine.samplers.serial import SerialSampler

__all__ = [
    "AgentSamples",
    "BaseSampler",
    "BatchSpec",
    "EnvSamples",
    "Samples",
    "SerialSampler",
    "TrajInfo",
]
