"""Algorithms: optimise the agent from sampled batches."""

from engine.algos.base import BaseAlgorithm

__all__ = ["BaseAlgorithm"]
