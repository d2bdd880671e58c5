"""Model helpers shared by the algorithm families (rlpyt ``models/utils.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch
from torch import nn


def submodules(module: nn.Module) -> Iterator[nn.Module]:
    """``module`` and every module under it, depth first.

    ``nn.Module.modules`` builds a qualified name and a memo set per module, which took 3x as
    long; the per-step helpers below walk the agent's models several times an update. Unlike
    ``modules`` it yields a module shared at two places twice.
    """
    stack = [module]
    while stack:
        module = stack.pop()
        yield module
        stack.extend(reversed(module._modules.values()))  # type: ignore[arg-type]


def tensors(module: nn.Module) -> list[torch.Tensor]:
    """The ``.data`` of the parameters and buffers of ``module`` and its submodules, each once
    (a shared module or tied weight is met twice, and a target update must move it once), in an
    order fixed by the architecture."""
    unique = dict.fromkeys(
        tensor
        for submodule in submodules(module)
        for table in (submodule._parameters, submodule._buffers)
        for tensor in table.values()
        if tensor is not None
    )
    return [tensor.data for tensor in unique]


def set_training(modules: Iterable[nn.Module], mode: bool) -> None:
    """``module.train(mode)`` for each of ``modules``, setting every submodule's flag directly.

    Runners switch the agent between sampling and training modes twice an iteration; for SAC
    (an iteration every two env steps, five models) ``nn.Module.train``'s recursive calls and
    attribute hooks took 4x as long as this. No model here overrides ``train``.
    """
    for module in modules:
        for submodule in submodules(module):
            submodule.__dict__["training"] = mode


@torch.no_grad()
def update_target_model(target: nn.Module, online: nn.Module, tau: float = 1.0) -> None:
    """Move ``target`` towards ``online`` (same architecture): ``p <- tau * new + (1 - tau) * p``
    for every floating point parameter and buffer, in place; other buffers (counters) are
    copied. ``tau == 1`` is a hard copy.

    Walks both modules' tensors in step instead of building a state dict per update (SAC updates
    its targets at every step). A plain loop: on CPU, ``torch._foreach_lerp_`` is slower.
    """
    # .data: plain tensors, which skip nn.Parameter's __torch_function__ (a third of the time).
    targets, news = tensors(target), tensors(online)
    if len(targets) != len(news):
        raise ValueError("target and online models differ in their parameters or buffers")
    for t, new in zip(targets, news):
        if t.shape != new.shape:
            raise ValueError(f"target and online models differ: shapes {t.shape}, {new.shape}")
        if tau == 1 or not t.is_floating_point():
            t.copy_(new)
        else:
            t.lerp_(new, tau)
