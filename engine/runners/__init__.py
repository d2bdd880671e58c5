"""Runners: the training loops."""

from engine.runners.base import BaseRunner
from engine.runners.minibatch_rl import MinibatchRl, MinibatchRlEval

__all__ = ["BaseRunner", "MinibatchRl", "MinibatchRlEval"]
