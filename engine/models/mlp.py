"""Multi-layer perceptron building block (rlpyt ``models/mlp.py``)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class MlpModel(nn.Module):
    """Linear layers with a nonlinearity after each hidden layer; ``[N, input_size] -> [N, out]``.

    With ``output_size=None`` the last hidden layer (and its nonlinearity) is the output, so the
    model serves as a trunk for separate heads.

    The layers live in ``self.model`` (an ``nn.Sequential``, which gives the state_dict its
    names), but ``forward`` calls them as functions: on RL's small batches each module call
    costs more than its layer's arithmetic (a [64, 64] policy on 8 envs: 57 us through the
    modules, 30 us as functions), and a sampler makes one forward pass per step. Forward hooks
    on the inner layers therefore do not run.
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
        # (linear, activation or None): the Parameter objects stay the same through .to(),
        # load_state_dict and FlatParameters, which all change them in place.
        self._layers = [
            (layer, activation.forward if activation is not None else None)
            for layer, activation in zip(layers[::2], [*layers[1::2], None])
        ]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for linear, activation in self._layers:
            x = F.linear(x, linear.weight, linear.bias)
            if activation is not None:
                x = activation(x)
        return x

    @property
    def output_size(self) -> int:
        return self._output_size
