"""Where this process stands in a data-parallel run (``SyncRl``)."""

from __future__ import annotations

import torch.distributed as dist


def world_size() -> int:
    """Ranks of the data-parallel run this process belongs to; 1 outside one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return 1
