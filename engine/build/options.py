"""Model options shared by every family's builder: the spec's values over the family's defaults."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from engine.spec import ExperimentSpec

NONLINEARITIES: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "relu": nn.ReLU}


def mlp_options(
    spec: ExperimentSpec, hidden_sizes: Sequence[int], nonlinearity: str
) -> dict[str, Any]:
    """``hidden_sizes`` and ``nonlinearity`` (a module class) for a model, the family's
    defaults where the spec leaves them ``null``."""
    return dict(
        hidden_sizes=list(spec.model.hidden_sizes or hidden_sizes),
        nonlinearity=NONLINEARITIES[spec.model.nonlinearity or nonlinearity],
    )
