"""``rlboard worker``: a Celery worker that executes runs from the given queues."""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="rlboard worker", description=__doc__)
    parser.add_argument("--queues", default="cpu", help="comma-separated: cpu, gpu (default cpu)")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 1,
                        help="runs executed at the same time (default: CPU count)")
    parser.add_argument("--name", default="rlboard@%h", help="Celery node name")
    parser.add_argument("--loglevel", default="info")
    args = parser.parse_args(argv)

    from worker.app import app  # reads the settings, so only after --help had its chance

    # Each run trains in a child process; a pool thread only supervises it, so threads suffice.
    app.worker_main([
        "worker", "--pool", "threads", "--concurrency", str(args.concurrency),
        "--queues", args.queues, "--hostname", args.name, "--loglevel", args.loglevel,
    ])
