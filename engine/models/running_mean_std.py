"""Running mean and variance of a stream of inputs (rlpyt ``models/running_mean_std.py``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn


class RunningMeanStd(nn.Module):
    """Mean and (population) variance of every ``[..., *shape]`` input given to ``update``.

    The statistics are buffers, so they are part of the owning model's ``state_dict`` and
    checkpoints carry them. They are kept in float64: the stream is long, and float32 sums of
    squares lose the variance of inputs far from zero.

    ``reduce_fn``, when set, sums a float64 tensor across processes in place; data-parallel
    training sets it to ``torch.distributed.all_reduce`` so that every replica merges the same
    global batch moments and the statistics stay identical everywhere.
    """

    def __init__(
        self,
        shape: Sequence[int],
        reduce_fn: Callable[[torch.Tensor], object] | None = None,
    ) -> None:
        super().__init__()
        self.shape = tuple(shape)
        self.reduce_fn = reduce_fn
        self.register_buffer("mean", torch.zeros(self.shape, dtype=torch.float64))
        self.register_buffer("var", torch.ones(self.shape, dtype=torch.float64))
        self.register_buffer("count", torch.zeros((), dtype=torch.float64))

    @torch.no_grad()
    def update(self, x: torch.Tensor) -> None:
        """Merge the moments of ``x [..., *shape]`` (Chan et al.'s parallel algorithm)."""
        x = x.reshape(-1, *self.shape).to(torch.float64)
        # [count, sum, sum of squares] in one tensor: one all-reduce under data parallelism.
        n = x.new_full((1, *self.shape), float(x.shape[0]))
        sums = torch.cat([n, x.sum(0, keepdim=True), (x * x).sum(0, keepdim=True)])
        if self.reduce_fn is not None:
            self.reduce_fn(sums)
        batch_count = sums[0].flatten()[0]
        batch_mean = sums[1] / batch_count
        batch_var = (sums[2] / batch_count - batch_mean.square()).clamp(min=0)
        total = self.count + batch_count
        delta = batch_mean - self.mean
        m2 = self.var * self.count + batch_var * batch_count
        self.var.copy_((m2 + delta.square() * self.count * batch_count / total) / total)
        self.mean.add_(delta * batch_count / total)
        self.count.copy_(total)

    def normalize(self, x: torch.Tensor, clip: float, var_clip: float) -> torch.Tensor:
        """``(x - mean) / std`` clipped to ``[-clip, clip]``, the variance floored at
        ``var_clip``; in ``x``'s dtype."""
        mean = self.mean.to(x.dtype)
        std = self.var.clamp(min=var_clip).sqrt().to(x.dtype)
        return ((x - mean) / std).clamp(-clip, clip)
