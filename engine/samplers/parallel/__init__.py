"""Samplers that step environments in worker processes."""

from engine.samplers.parallel.base import ParallelSamplerBase, WorkerError
from engine.samplers.parallel.cpu import CpuSampler
from engine.samplers.parallel.gpu import AlternatingSampler, GpuSampler

__all__ = ["AlternatingSampler", "CpuSampler", "GpuSampler", "ParallelSamplerBase", "WorkerError"]
