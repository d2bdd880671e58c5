"""Global seeding of every random number generator the engine uses, and their states."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch


def set_seed(seed: int) -> None:
    """Seed python ``random``, numpy's global generator and torch (CPU and every GPU).

    Environments are seeded separately by the sampler (env ``b`` gets ``seed + b``).
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def get_rng_state() -> dict[str, Any]:
    """The state of every generator ``set_seed`` seeds, for checkpoints."""
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: Mapping[str, Any]) -> None:
    """Restore what ``get_rng_state`` returned."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():  # a CPU-only resume has no CUDA generators
        torch.cuda.set_rng_state_all(state["cuda"])
