"""Allocate and convert nested buffers (namedarraytuples of arrays, rlpyt ``utils/buffer.py``).

The environment side works in numpy, the agent side in torch; ``torchify_buffer`` and
``numpify_buffer`` convert between the two without copying, so one allocation serves both.

Shared memory (``share_memory=True``): every array is the numpy view of a torch tensor in shared
memory (torch's ``share_memory_``; with the default ``file_descriptor`` strategy the segment is
unlinked from ``/dev/shm`` as soon as it exists, so nothing leaks even when a process is
killed). To hand such a buffer to a spawned process, pass its torch view (``torchify_buffer``):
torch pickles a shared tensor as a handle to the same memory (under ``spawn`` and
``forkserver``), and ``numpify_buffer`` on the other side gives numpy views of it again. A numpy
array would pickle as a copy.
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


def buffer_from_example(
    example: Any, leading_dims: int | tuple[int, ...], share_memory: bool = False
) -> Any:
    """Zero arrays shaped ``[*leading_dims, *example.shape]`` with the example's dtypes.

    Namedtuples become namedarraytuples of the same name and fields, so the result can be
    indexed like one array. Python scalars take numpy's default dtype (``float`` -> float64);
    convert the example first where a narrower dtype is wanted. ``share_memory``: allocate
    in shared memory (see the module docstring for passing it to another process).
    """
    if example is None:
        return None
    if is_namedtuple(example):
        buffer_type = namedarraytuple_like(example)
        return buffer_type(*(buffer_from_example(v, leading_dims, share_memory) for v in example))
    np_example = np.asarray(example)
    if np_example.dtype == object:
        raise TypeError(f"cannot build a buffer from an object-dtype example: {example!r}")
    if isinstance(leading_dims, int):
        leading_dims = (leading_dims,)
    shape = tuple(leading_dims) + np_example.shape
    if not share_memory:
        return np.zeros(shape, dtype=np_example.dtype)
    # torch.from_numpy maps the numpy dtype to torch's (it rejects the few torch lacks).
    dtype = torch.from_numpy(np.zeros(0, dtype=np_example.dtype)).dtype
    return torch.zeros(shape, dtype=dtype).share_memory_().numpy()


def _shared_owner(array: np.ndarray) -> torch.Tensor | None:
    """The shared torch tensor whose memory ``array`` views, if it views one."""
    owner: Any = array
    while isinstance(owner, np.ndarray) and owner.base is not None:
        owner = owner.base
    return owner if isinstance(owner, torch.Tensor) and owner.is_shared() else None


def is_shared(array: np.ndarray) -> bool:
    """Whether ``array`` lives in shared memory (``buffer_from_example(..., share_memory=True)``)."""
    return _shared_owner(array) is not None


def _as_tensor(array: np.ndarray) -> torch.Tensor:
    """A tensor over the memory of ``array``; a view of the shared tensor it came from, if any.

    ``torch.from_numpy`` would do within one process, but its storage is not torch's shared
    one: pickled to another process, it would be copied into new shared memory instead of
    being passed by handle.
    """
    owner = _shared_owner(array)
    if owner is None:
        return torch.from_numpy(array)
    itemsize = array.itemsize
    offset = (array.__array_interface__["data"][0] - owner.data_ptr()) // itemsize
    return owner.as_strided(
        array.shape, [s // itemsize for s in array.strides], owner.storage_offset() + offset
    )


def torchify_buffer(buffer: Any) -> Any:
    """Torch tensors sharing memory with the numpy arrays of ``buffer`` (other leaves unchanged)."""
    return _map(lambda b: _as_tensor(b) if isinstance(b, np.ndarray) else b, buffer)


def numpify_buffer(buffer: Any) -> Any:
    """Numpy arrays of the tensors of ``buffer``; CPU tensors share memory, others are copied."""
    return _map(lambda b: b.cpu().numpy() if isinstance(b, torch.Tensor) else b, buffer)


def flatten_leading_dims(buffer: Any) -> Any:
    """Every tensor ``[T, B, ...]`` of ``buffer`` as ``[T * B, ...]`` (a view where possible)."""
    return _map(
        lambda b: b.reshape(-1, *b.shape[2:]) if isinstance(b, torch.Tensor) else b, buffer
    )


def _leaves(buffer: Any) -> Any:
    if isinstance(buffer, tuple):
        for b in buffer:
            yield from _leaves(b)
    elif buffer is not None:
        yield buffer


def buffer_to(buffer: Any, device: torch.device | str) -> Any:
    """Move every tensor of ``buffer`` to ``device``; ``buffer`` itself when all are there.

    Agents call this on their inputs and outputs at every sampler step, where on a CPU agent
    nothing moves: checking first costs a third of rebuilding the namedarraytuples.
    """
    device = torch.device(device)
    if all(b.device == device for b in _leaves(buffer) if isinstance(b, torch.Tensor)):
        return buffer
    return _map(lambda b: b.to(device) if isinstance(b, torch.Tensor) else b, buffer)
