"""Process plumbing shared by the engine's multi-process modes."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from multiprocessing import connection as mp_connection
from multiprocessing.process import BaseProcess
from typing import NoReturn, TypeVar

PR_SET_PDEATHSIG = 1

K = TypeVar("K", bound=Hashable)


def die_with_parent(parent: int | None = None) -> None:
    """Have Linux SIGKILL this process when its parent dies (``prctl(PR_SET_PDEATHSIG)``), so
    no process of a run outlives the one that started it, even when that one is SIGKILLed.

    ``parent``: the pid of the process that started this one, when known; pass it whenever
    the call comes late in a child's start (after imports), since a parent that died before
    then has already left this process re-parented, and the signal would never come.
    Raises ``OSError`` if the signal cannot be armed, ``RuntimeError`` if the parent is
    already gone.
    """
    parent = os.getppid() if parent is None else parent
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:
        raise RuntimeError("the parent process exited before this one could follow it")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on ``host`` (for a rendezvous about to start)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def describe_exit(exitcode: int | None) -> str:
    """``exited with code 1`` or ``was killed by SIGKILL``, for a ``multiprocessing`` exit
    code."""
    if exitcode is not None and exitcode < 0:
        return f"was killed by {signal.Signals(-exitcode).name}"
    return f"exited with code {exitcode}"


def first_failure(exitcodes: Mapping[K, int | None]) -> tuple[K, int] | None:
    """The child to blame among those that ended badly, with its exit code: one killed by a
    signal first (it may have brought the others down), else the first (by key) that exited
    non-zero; None when none did (still running or exited 0)."""
    failed = [(key, code) for key, code in exitcodes.items() if code not in (None, 0)]
    return min(failed, key=lambda item: (item[1] >= 0, item[0]), default=None)


def watch_children(
    children: Sequence[BaseProcess],
    report: Callable[[], str],
    stopping: Callable[[], bool],
    grace_s: float,
) -> None:
    """Thread body that makes a failed child end this process even where the main thread would
    never notice (blocked in a rendezvous, or on a lock the dead child held).

    When a child exits with a non-zero code, the main thread gets ``grace_s`` to fail by itself
    (``stopping()`` turns true once it shuts down); then ``report()`` goes to stderr, every
    child is killed and this process exits with code 1.
    """
    sentinels = {process.sentinel: process for process in children}
    while sentinels:
        for sentinel in mp_connection.wait(list(sentinels)):
            process = sentinels.pop(sentinel)  # type: ignore[call-overload]
            if process.exitcode == 0:
                continue
            deadline = time.monotonic() + grace_s
            while time.monotonic() < deadline and not stopping():
                time.sleep(0.1)
            if stopping():
                return
            print(f"{report()}; stopping the run", file=sys.stderr, flush=True)
            for child in children:
                if child.is_alive():
                    child.kill()
            os._exit(1)


def exit_without_finalisation(code: int) -> NoReturn:
    """End this process with ``code`` once stdio and logging are flushed, skipping the
    interpreter's finalisation.

    For processes that ran a torch.distributed process group: its C++ threads (gloo, the
    TCPStore) can abort finalisation with SIGABRT ("terminate called without an active
    exception", pytorch issues 190489 and 179291), which turned a finished run into one
    "killed by SIGABRT" after every result was written.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
