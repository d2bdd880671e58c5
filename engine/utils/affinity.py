"""Which CPU cores each sampler process runs on, and with how many torch threads.

rlpyt encodes a whole machine layout (GPUs, sockets, hyperthreads, run slots) into a string
code; the part a single run needs is small enough to be plain data: ``make_affinity`` works it
out from the cores this process may use (``os.sched_getaffinity``), and any of it can be
overridden (the spec's ``sampler.workers`` and ``sampler.affinity`` section).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import torch

#: Torch threads in every sampler worker: intra-op threads only contend with the other workers
#: for the same cores, and a forked-from-threaded OpenMP pool is how rlpyt's workers hung.
WORKER_TORCH_THREADS = 1


@dataclass(frozen=True)
class Affinity:
    """The cores of the master and of each worker process.

    ``workers_cpus[w]``: the cores of worker ``w`` (workers may share cores).
    ``set_affinity``: pin the processes to those cores; otherwise the cores only decide how
    many workers there are, and the OS schedules them freely.
    """

    master_cpus: tuple[int, ...]
    workers_cpus: tuple[tuple[int, ...], ...]
    set_affinity: bool = False
    worker_torch_threads: int = WORKER_TORCH_THREADS

    @property
    def n_workers(self) -> int:
        return len(self.workers_cpus)


def available_cpus() -> tuple[int, ...]:
    """The cores this process may run on (its affinity mask, not the machine's core count)."""
    if hasattr(os, "sched_getaffinity"):
        return tuple(sorted(os.sched_getaffinity(0)))
    return tuple(range(os.cpu_count() or 1))


def make_affinity(
    n_workers: int | None = None,
    master_cpus: Sequence[int] | None = None,
    workers_cpus: Sequence[Sequence[int]] | None = None,
    set_affinity: bool = False,
    max_workers: int | None = None,
) -> Affinity:
    """Lay out a run on the available cores; any argument given overrides that part.

    Defaults: the master may use every available core (it mostly waits while workers step);
    one worker per available core, at most ``max_workers`` (e.g. one per environment); worker
    ``w`` on core ``w mod n_cores`` when there are more workers than cores.
    """
    cpus = available_cpus()
    if workers_cpus is not None:
        if n_workers is not None and n_workers != len(workers_cpus):
            raise ValueError(
                f"{n_workers} workers but workers_cpus lists {len(workers_cpus)}: {workers_cpus}"
            )
        layout = tuple(tuple(c) for c in workers_cpus)
    else:
        if n_workers is None:
            n_workers = len(cpus) if max_workers is None else min(len(cpus), max_workers)
        layout = tuple((cpus[w % len(cpus)],) for w in range(n_workers))
    if not layout or any(not c for c in layout):
        raise ValueError(f"every worker needs at least one core, got {layout}")
    master = tuple(master_cpus) if master_cpus is not None else cpus
    unknown = set(master).union(*layout) - set(cpus)
    if set_affinity and unknown:
        raise ValueError(f"cores {sorted(unknown)} are not available (have {list(cpus)})")
    return Affinity(master_cpus=master, workers_cpus=layout, set_affinity=set_affinity)


def apply_affinity(cpus: Sequence[int], torch_threads: int | None, set_affinity: bool) -> None:
    """Configure the calling process: pin it to ``cpus`` if ``set_affinity``, and set its torch
    intra-op threads (``None`` leaves them as they are)."""
    if set_affinity and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cpus)
    if torch_threads is not None:
        torch.set_num_threads(torch_threads)
