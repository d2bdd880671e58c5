"""Allocate and convert nested buffers (namedarraytuples of arrays, rlpyt ``utils/buffer.py``).

The environment side works in numpy, the agent side in torch; ``torchify_buffer`` and
``numpify_buffer`` convert between the two without copying, so one allocation serves both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from engine.utils.collections import is_namedtuple, namedarraytuple_like


def _map(fn: Callable[[Any], Any], buffer: Any) -> Any:
    """Apply ``fn`` to every leaf of a (named)tuple structure; ``None`` stays ``None``."""
    if buffer is None:
        return None
    if isinstance(buffer, tuple):
        contents = [_map(fn, b) for b in buffer]
        return type(buffer)(*contents) if is_namedtuple(buffer) else tuple(contents)
    return fn(buffer)


def buffer_from_example(example: Any, leading_dims: int | tuple[int, ...]) -> Any:
    """Zero arrays shaped ``[*leading_dims, *example.shape]`` with the example's dtypes.

    Namedtuples become namedarraytuples of the same name and fields, so the result can be
    indexed like one array. Python scalars take numpy's default dtype (``float`` -> float64);
    convert the example first where a narrower dtype is wanted.
    """
    if example is None:
        return None
    if is_namedtuple(example):
        buffer_type = namedarraytuple_like(example)
        return buffer_type(*(buffer_from_example(v, leading_dims) for v in example))
    np_example = np.asarray(example)
    if np_example.dtype == object:
        raise TypeError(f"cannot build a buffer from an object-dtype example: {example!r}")
    if isinstance(leading_dims, int):
        leading_dims = (leading_dims,)
    return np.zeros(tuple(leading_dims) + np_example.shape, dtype=np_example.dtype)


def torchify_buffer(buffer: Any) -> Any:
    """Torch tensors sharing memory with the numpy arrays of ``buffer`` (other leaves unchanged)."""
    return _map(lambda b: torch.from_numpy(b) if isinstance(b, np.ndarray) else b, buffer)


def numpify_buffer(buffer: Any) -> Any:
    """Numpy arrays of the tensors of ``buffer``; CPU tensors share memory, others are copied."""
    return _map(lambda b: b.cpu().numpy() if isinstance(b, torch.Tensor) else b, buffer)


def buffer_to(buffer: Any, device: torch.device | str) -> Any:
    """Move every tensor of ``buffer`` to ``device`` (a no-op for tensors already there)."""
    return _map(lambda b: b.to(device) if isinstance(b, torch.Tensor) else b, buffer)
