"""Samplers: collect ``[T, B]`` training batches and evaluation trajectories."""

from engine.samplers.base import BaseSampler
from engine.samplers.collections import AgentSamples, BatchSpec, EnvSamples, Samples, TrajInfo
from engine.samplers.collectors import ResetCollector, WaitResetCollector
from engine.samplers.parallel import AlternatingSampler, CpuSampler, GpuSampler, WorkerError
from engine.samplers.serial import SerialSampler

__all__ = [
    "AgentSamples",
    "AlternatingSampler",
    "BaseSampler",
    "BatchSpec",
    "CpuSampler",
    "EnvSamples",
    "GpuSampler",
    "ResetCollector",
    "Samples",
    "SerialSampler",
    "TrajInfo",
    "WaitResetCollector",
    "WorkerError",
]
