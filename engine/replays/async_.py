"""A replay buffer shared by processes (rlpyt ``replays/async_.py``, ``AsyncReplayBufferMixin``).

In an asynchronous run the memory copiers append to the replay while the optimizer samples
from it. The storage is already in shared memory (a replay built with ``share_memory=True``);
what each process's Python object holds privately is the cursor: the ring's row ``t`` and fill
flag, and the same of its priority tree. ``AsyncReplayBuffer`` keeps those in one small shared
array, written after every append and read before every use, and serialises access with a
read-write lock: appends and priority updates write, sampling reads.
"""

from __future__ import annotations

import copy
import multiprocessing as mp
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from engine.replays.base import BaseReplayBuffer
from engine.replays.sum_tree import SumTree
from engine.utils.buffer import is_shared, numpify_buffer, torchify_buffer
from engine.utils.synchronize import RWLock

# Private attributes that move the cursor: the ring's (BaseNStepReturnBuffer) and its
# SumTree's; each is an int or a bool.
_CURSOR_FIELDS = ("t", "_buffer_full", "_initial_wrap_guard")


class AsyncReplayBuffer(BaseReplayBuffer):
    """Wraps a replay built with ``share_memory=True`` so that several processes use it.

    Pass it to a child process as a ``Process`` argument: its arrays travel as handles to the
    same shared memory, its locks as the same locks. Any other attribute (``beta``,
    ``set_beta``, ``T``...) is the wrapped replay's.
    """

    def __init__(self, replay: BaseReplayBuffer, ctx: Any = None) -> None:
        if not replay.share_memory:
            raise ValueError("an AsyncReplayBuffer needs a replay allocated in shared memory")
        super().__init__(share_memory=True)
        self.replay = replay
        self.rw_lock = RWLock(ctx or mp.get_context("spawn"))
        self._holders = [replay, *(v for v in vars(replay).values() if isinstance(v, SumTree))]
        # [holders, fields]; -1 where a holder lacks the field.
        self._cursor = torch.full((len(self._holders), len(_CURSOR_FIELDS)), -1).share_memory_()
        self._store_cursor()

    def append_samples(self, samples: Any, *args: Any) -> tuple[np.ndarray, np.ndarray]:
        """``replay.append_samples`` under the write lock (``args``: input priorities)."""
        with self.rw_lock.write_lock():
            self._load_cursor()
            idxs = self.replay.append_samples(samples, *args)
            self._store_cursor()
        return idxs

    def sample_batch(self, batch_B: int) -> Any:
        """A batch (copies of the rows drawn) taken under the read lock."""
        with self.rw_lock.read_lock():
            self._load_cursor()
            return self.replay.sample_batch(batch_B)

    def update_batch_priorities(self, priorities: Any) -> None:
        """Priorities of the last batch this process drew, under the write lock (rows the
        copiers overwrote since get them too, as in rlpyt)."""
        with self.rw_lock.write_lock():
            self.replay.update_batch_priorities(priorities)  # type: ignore[attr-defined]

    def state_dict(self) -> dict[str, Any]:
        with self.rw_lock.read_lock():
            self._load_cursor()
            return self.replay.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        with self.rw_lock.write_lock():
            self.replay.load_state_dict(state)
            self._store_cursor()

    def __getattr__(self, name: str) -> Any:
        if name == "replay":  # not set yet (unpickling): never recurse
            raise AttributeError(name)
        return getattr(self.replay, name)

    def _store_cursor(self) -> None:
        for i, holder in enumerate(self._holders):
            for j, field in enumerate(_CURSOR_FIELDS):
                if hasattr(holder, field):
                    self._cursor[i, j] = int(getattr(holder, field))

    def _load_cursor(self) -> None:
        values = self._cursor.tolist()
        for holder, row in zip(self._holders, values):
            for field, value in zip(_CURSOR_FIELDS, row):
                if value >= 0:
                    setattr(holder, field, type(getattr(holder, field))(value))

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["replay"] = _convert_arrays(self.replay, _shared_as_tensor)
        del state["_holders"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        replay = _convert_arrays(state.pop("replay"), numpify_buffer)
        self.__dict__.update(state, replay=replay)
        self._holders = [replay, *(v for v in vars(replay).values() if isinstance(v, SumTree))]


def _shared_as_tensor(value: Any) -> Any:
    """Torch views of shared arrays (pickled as handles); private arrays stay numpy (copied)."""
    if isinstance(value, np.ndarray) and not is_shared(value):
        return value
    return torchify_buffer(value)


def _convert_arrays(obj: Any, convert: Callable[[Any], Any]) -> Any:
    """A shallow copy of ``obj`` whose array attributes (arrays, namedarraytuples of arrays,
    those of a ``SumTree`` attribute) went through ``convert``."""
    result = copy.copy(obj)
    for name, value in vars(obj).items():
        if isinstance(value, SumTree):
            setattr(result, name, _convert_arrays(value, convert))
        elif isinstance(value, (np.ndarray, torch.Tensor, tuple)):
            setattr(result, name, convert(value))
    return result
