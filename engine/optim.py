"""Optimisers over one contiguous parameter tensor, for small models.

RL models are small: a CartPole policy is a dozen tensors of a few thousand numbers, and an
optimiser step that loops over them costs more in per-tensor dispatch than in arithmetic (Adam
alone was a third of a PPO gradient step). ``FlatParameters`` makes the parameters of a model
views into one flat tensor and their gradients views into another, so the optimiser, the
gradient clip and zeroing each run a handful of ops on one tensor (the flat-parameter technique
of apex's fused optimisers and FSDP). The model keeps its ordinary parameters: forward,
``state_dict`` and ``load_state_dict`` (which copies in place) are unchanged.

It is also where data-parallel training (``SyncRl``) meets the algorithms: with a
``torch.distributed`` process group of several ranks, ``clip_grad_norm_`` first averages the
gradient over the ranks, one all-reduce of the flat gradient per optimiser step, so every rank
clips and steps identically. This is what ``DistributedDataParallel`` does in its buckets, but
without DDP's rule of one forward pass per backward pass of a wrapped module, which SAC and TD3
break (several models, several losses per update: rlpyt's SAC under DDP was broken by it).
Algorithms therefore call ``clip_grad_norm_`` (or ``reduce_grad`` for an unclipped
parameter) once before each optimiser step.

Rules that keep the views valid: build it after the model is on its device, zero gradients with
``FlatParameters.zero_grad`` (an optimiser's ``zero_grad`` would drop the shared gradient
buffer), and never move the model again afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.optim import optimizer as torch_optimizer

from engine.utils.distributed import world_size


class FlatParameters:
    """``parameters`` become views of ``self.parameter`` (1-D), their ``.grad`` views of its
    ``.grad``; hand ``self.parameter`` to the optimiser."""

    def __init__(self, parameters: Iterable[nn.Parameter]) -> None:
        self.parameters = [p for p in parameters if p.requires_grad]
        if not self.parameters:
            raise ValueError("no parameters to optimise")
        first = self.parameters[0]
        if any(p.device != first.device or p.dtype != first.dtype for p in self.parameters):
            raise ValueError("all parameters must share one device and dtype")
        numel = sum(p.numel() for p in self.parameters)
        flat = torch.empty(numel, device=first.device, dtype=first.dtype)
        grad = torch.zeros_like(flat)
        offset = 0
        for p in self.parameters:
            n = p.numel()
            flat[offset : offset + n].copy_(p.detach().reshape(-1))
            p.data = flat[offset : offset + n].view_as(p)
            # Autograd accumulates in place into an existing .grad, so it stays a view.
            p.grad = grad[offset : offset + n].view_as(p)
            offset += n
        self.parameter = nn.Parameter(flat)
        self.parameter.grad = grad

    def zero_grad(self) -> None:
        self.parameter.grad.zero_()  # type: ignore[union-attr]

    def reduce_grad(self) -> None:
        """Average the gradient over the data-parallel ranks, if this process is one."""
        if (ranks := world_size()) > 1:
            grad = self.parameter.grad
            assert grad is not None
            dist.all_reduce(grad)
            grad.div_(ranks)

    def clip_grad_norm_(self, max_norm: float) -> torch.Tensor:
        """Average the gradient over data-parallel ranks (``reduce_grad``), then scale it to
        a 2-norm of at most ``max_norm``; return the norm before scaling, as
        ``torch.nn.utils.clip_grad_norm_`` does."""
        self.reduce_grad()
        grad = self.parameter.grad
        assert grad is not None
        norm = torch.linalg.vector_norm(grad)
        grad.mul_(torch.clamp(max_norm / (norm + 1e-6), max=1.0))
        return norm


class FlatAdam(torch.optim.Adam):
    """``torch.optim.Adam(fused=True)`` that steps one flat parameter with the bare kernel.

    On a flat parameter of a few thousand numbers the fused kernel takes 7 us, and
    ``Optimizer.step`` around it 25 us more (its profiler record and hook loops, grouping the
    tensors by device and dtype, per-group bookkeeping); SAC steps four optimisers per update.
    ``step`` calls the same kernel with the same arguments, so parameters and ``state_dict`` are
    bit-identical to Adam's. Anything else (the first step, which creates the state; a closure;
    step hooks; AMP grad scaling; amsgrad; several parameters) goes through Adam's own step.
    """

    def step(self, closure: Any = None) -> Any:  # type: ignore[override]
        group = self.param_groups[0]
        params = group["params"]
        state = self.state.get(params[0]) if len(params) == 1 else None
        if (
            closure is not None
            or not state
            or len(self.param_groups) > 1
            or not group["fused"]
            or group["amsgrad"]
            or group["differentiable"]
            or isinstance(group["lr"], torch.Tensor)
            or params[0].grad is None
            or getattr(self, "grad_scale", None) is not None
            or getattr(self, "found_inf", None) is not None
            or self._optimizer_step_pre_hooks
            or self._optimizer_step_post_hooks
            or torch_optimizer._global_optimizer_pre_hooks
            or torch_optimizer._global_optimizer_post_hooks
        ):
            return _adam_step_with_hooks(self, closure)
        beta1, beta2 = group["betas"]
        kernel = torch._fused_adamw_ if group["decoupled_weight_decay"] else torch._fused_adam_
        with torch.no_grad():
            state["step"].add_(1)
            kernel(
                params, [params[0].grad], [state["exp_avg"]], [state["exp_avg_sq"]], [],
                [state["step"]], amsgrad=False, lr=group["lr"], beta1=beta1, beta2=beta2,
                weight_decay=group["weight_decay"], eps=group["eps"],
                maximize=group["maximize"], grad_scale=None, found_inf=None,
            )
        return None

    # Optimizer.__init__ wraps a class's ``step`` in its profiler-and-hooks layer unless it is
    # marked hooked; the wrapper is half of what this class saves. The fallback above runs the
    # hooks, through Adam's step in that wrapper.
    step.hooked = True  # type: ignore[attr-defined]


# Adam's step in Optimizer's profiler-and-hooks wrapper. torch wraps ``Adam.step`` in place
# when the first plain Adam is built, which may never happen in a process that only builds
# FlatAdams, so wrap it here unless that has happened already (hooks must run once).
_adam_step_with_hooks = (
    torch.optim.Adam.step
    if getattr(torch.optim.Adam.step, "hooked", False)
    else torch.optim.Optimizer.profile_hook_step(torch.optim.Adam.step)
)


class FlatAdamW(FlatAdam, torch.optim.AdamW):
    """``FlatAdam`` with AdamW's decoupled weight decay."""


def make_optimizer(
    OptimCls: type[torch.optim.Optimizer],
    parameters: Iterable[nn.Parameter],
    lr: float,
    **optim_kwargs: Any,
) -> tuple[torch.optim.Optimizer, FlatParameters]:
    """``OptimCls`` over the flattened ``parameters``; Adam and AdamW use their fused kernel
    (one op for the whole update, called directly: ``FlatAdam``) unless ``optim_kwargs`` choose
    otherwise."""
    flat = FlatParameters(parameters)
    flat_classes = {torch.optim.Adam: FlatAdam, torch.optim.AdamW: FlatAdamW}
    if OptimCls in flat_classes and "foreach" not in optim_kwargs:
        optim_kwargs.setdefault("fused", True)
        OptimCls = flat_classes[OptimCls]
    return OptimCls([flat.parameter], lr=lr, **optim_kwargs), flat
