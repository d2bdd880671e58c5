"""``rlboard worker``: a Celery worker that executes runs from the given queues.

``--queues gpu --gpus 0,1`` makes a GPU worker: one run per GPU (concurrency = the GPUs),
each run seeing only its own GPUs through ``CUDA_VISIBLE_DEVICES``, a sync run of
``world_size`` N getting N of them. CPU workers take ``--queues cpu``; a worker may take both.
SIGTERM is a warm shutdown: the runs are stopped and queued again, to resume elsewhere from
their last checkpoints.
"""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="rlboard worker", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--queues", default="cpu", help="comma-separated: cpu, gpu (default cpu)")
    parser.add_argument("--gpus", default=None,
                        help="comma-separated GPU ids this worker hands out, one run per GPU "
                             "(default: none managed; runs see the worker's GPUs)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="runs executed at the same time (default: the number of --gpus, "
                             "else the CPU count)")
    parser.add_argument("--name", default="rlboard@%h", help="Celery node name")
    parser.add_argument("--loglevel", default="info")
    args = parser.parse_args(argv)
    queues = [queue.strip() for queue in args.queues.split(",") if queue.strip()]
    gpus = None if args.gpus is None else [g.strip() for g in args.gpus.split(",") if g.strip()]
    concurrency = args.concurrency or (len(gpus) if gpus else os.cpu_count() or 1)

    from worker.app import app, state  # reads the settings, so only after --help had its chance

    state.configure(queues, gpus, concurrency)
    # Each run trains in a child process; a pool thread only supervises it, so threads suffice.
    app.worker_main([
        "worker", "--pool", "threads", "--concurrency", str(concurrency),
        "--queues", ",".join(queues), "--hostname", args.name, "--loglevel", args.loglevel,
    ])
