"""Multi-layer perceptron building block (rlpyt ``models/mlp.py``)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class MlpModel(nn.Module):
    """Linear layers with a nonlinearity after each hidden layer; ``[N, input_size] -> [N, out]``.

    With ``output_size=None`` the last hidden layer (and its nonlinearity) is the output, so the
    model serves as a trunk for separate heads.
    """

    def __init__(
        self,
        input_size: int,
        hidden_sizes: Sequence[int],
        output_size: int | None = None,
        nonlinearity: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        last_size = input_size
        for size in hidden_sizes:
            layers += [nn.Linear(last_size, size), nonlinearity()]
            last_size = size
        if output_size is not None:
            layers.append(nn.Linear(last_size, output_size))
            last_size = output_size
        self.model = nn.Sequential(*layers)
        self._output_size = last_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    @property
    def output_size(self) -> int:
        return self._output_size
