"""``python -m worker.launch CMD...``: exec CMD so that it dies with the worker thread that started it.

A run's engine process lives in its own session (so cancel can kill its whole process group),
which also shields it from signals sent to the worker. Without this, a worker killed with
SIGKILL would leave its training processes running as orphans. Linux's parent-death signal
survives ``execv``; it is set here, in a fresh interpreter, because ``preexec_fn`` is unsafe in
a threaded parent like the Celery threads pool.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main() -> None:
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        sys.exit(f"prctl(PR_SET_PDEATHSIG) failed: errno {ctypes.get_errno()}")
    if os.getppid() != parent:  # the parent died before the signal was armed
        sys.exit("parent exited before launch")
    os.execv(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
