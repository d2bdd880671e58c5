"""Locks shared by processes (rlpyt ``utils/synchronize.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.context import BaseContext


class RWLock:
    """Many readers or one writer at a time, across processes.

    The first reader takes the write lock for all readers and the last one gives it back,
    which ``multiprocessing``'s semaphore-based ``Lock`` allows from any process. Pass it to
    a child process as a ``Process`` argument (the locks travel only while spawning).
    """

    def __init__(self, ctx: BaseContext) -> None:
        self._write = ctx.Lock()
        self._readers_lock = ctx.Lock()
        self._readers = ctx.RawValue("i", 0)

    @contextmanager
    def read_lock(self) -> Iterator[None]:
        with self._readers_lock:
            self._readers.value += 1
            if self._readers.value == 1:
                self._write.acquire()
        try:
            yield
        finally:
            with self._readers_lock:
                self._readers.value -= 1
                if self._readers.value == 0:
                    self._write.release()

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        with self._write:
            yield
