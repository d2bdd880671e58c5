"""Global seeding of every random number generator the engine uses."""

from __future__ import annotations

import random

import numpy as np
import torch


def set_seed(seed: int) -> None:
    """Seed python ``random``, numpy's global generator and torch (CPU and every GPU).

    Environments are seeded separately by the sampler (env ``b`` gets ``seed + b``).
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
