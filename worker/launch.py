"""``python -m worker.launch CMD...``: exec CMD so that it dies with the worker thread that started it.

A run's engine process lives in its own session (so cancel can kill its whole process group),
which also shields it from signals sent to the worker. Without this, a worker killed with
SIGKILL would leave its training processes running as orphans. Linux's parent-death signal
survives ``execv``; it is set here, in a fresh interpreter, because ``preexec_fn`` is unsafe in
a threaded parent like the Celery threads pool.
"""

import os
import sys

# Light: engine.utils.process imports neither torch nor the rest of the engine.
from engine.utils.process import die_with_parent


def main() -> None:
    try:
        die_with_parent()
    except (OSError, RuntimeError) as exc:
        sys.exit(f"launch: {exc}")
    os.execv(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
