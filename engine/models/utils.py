"""Model helpers shared by the algorithm families (rlpyt ``models/utils.py``)."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn


def strip_ddp_state_dict(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state_dict`` without the ``module.`` prefix that ``DistributedDataParallel`` adds."""
    return {k[len("module.") :] if k.startswith("module.") else k: v for k, v in state_dict.items()}


@torch.no_grad()
def update_state_dict(
    model: nn.Module, state_dict: Mapping[str, torch.Tensor], tau: float = 1.0
) -> None:
    """Move ``model`` towards ``state_dict``: ``p <- tau * new + (1 - tau) * p``, in place.

    ``tau == 1`` is a hard copy (buffers included); otherwise a Polyak average of the floating
    point entries, with integer buffers (e.g. counters) copied. DDP prefixes are stripped, so a
    wrapped online model can update an unwrapped target.
    """
    state_dict = strip_ddp_state_dict(state_dict)
    if tau == 1:
        model.load_state_dict(state_dict)
        return
    for name, target in model.state_dict().items():
        new = state_dict[name]
        if target.is_floating_point():
            target.lerp_(new.to(target.device, target.dtype), tau)
        else:
            target.copy_(new)
