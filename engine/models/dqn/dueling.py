"""Dueling Q heads (Wang et al. 2016; rlpyt ``models/dqn/dueling.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from engine.models.mlp import MlpModel


class ScaleGrad(torch.autograd.Function):
    """Identity forward; the backward gradient is multiplied by ``scale`` (rlpyt's
    ``scale_grad``: the dueling paper rescales the gradient entering the shared trunk by
    ``2 ** -0.5``, as two heads backpropagate into it)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad * ctx.scale, None


def scale_grad(x: torch.Tensor, scale: float) -> torch.Tensor:
    return x if scale == 1 else ScaleGrad.apply(x, scale)


class DuelingHeadModel(nn.Module):
    """``[N, input_size] -> Q [N, output_size]`` as ``V + A - mean(A)``.

    Value and advantage are separate MLPs of ``hidden_sizes``; the advantage's output layer has
    one shared bias, as rlpyt's (a per-action bias would cancel in ``A - mean(A)`` anyway).
    """

    def __init__(
        self,
        input_size: int,
        hidden_sizes: Sequence[int],
        output_size: int,
        grad_scale: float = 2**-0.5,
        nonlinearity: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        hidden_sizes = list(hidden_sizes)
        self.advantage_hidden = MlpModel(input_size, hidden_sizes, None, nonlinearity)
        self.advantage_out = nn.Linear(self.advantage_hidden.output_size, output_size, bias=False)
        self.advantage_bias = nn.Parameter(torch.zeros(1))
        self.value = MlpModel(input_size, hidden_sizes, 1, nonlinearity)
        self.grad_scale = grad_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = scale_grad(x, self.grad_scale)
        advantage = self.advantage_out(self.advantage_hidden(x)) + self.advantage_bias
        return self.value(x) + advantage - advantage.mean(dim=-1, keepdim=True)


class DistributionalDuelingHeadModel(nn.Module):
    """``[N, input_size] -> logits [N, output_size, n_atoms]``: dueling over each atom's
    logit (rlpyt's ``DistributionalDuelingHeadModel``), ``V + A - mean_a(A)``."""

    def __init__(
        self,
        input_size: int,
        hidden_sizes: Sequence[int],
        output_size: int,
        n_atoms: int,
        grad_scale: float = 2**-0.5,
        nonlinearity: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        hidden_sizes = list(hidden_sizes)
        self.output_size, self.n_atoms = output_size, n_atoms
        self.advantage_hidden = MlpModel(input_size, hidden_sizes, None, nonlinearity)
        self.advantage_out = nn.Linear(
            self.advantage_hidden.output_size, output_size * n_atoms, bias=False
        )
        self.advantage_bias = nn.Parameter(torch.zeros(n_atoms))
        self.value = MlpModel(input_size, hidden_sizes, n_atoms, nonlinearity)
        self.grad_scale = grad_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = scale_grad(x, self.grad_scale)
        advantage = self.advantage_out(self.advantage_hidden(x))
        advantage = advantage.view(-1, self.output_size, self.n_atoms) + self.advantage_bias
        value = self.value(x).unsqueeze(1)  # [N, 1, n_atoms]
        return value + advantage - advantage.mean(dim=1, keepdim=True)
