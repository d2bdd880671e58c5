"""Supervision of one run: claim it, start the engine in its own process group, watch it.

One ``RunSupervisor`` lives in one Celery pool thread for the whole run. The training itself
happens in a child process (``python -m engine train``), never in the pool thread, because a
Celery pool may not fork samplers and optimizers itself, and because a separate process group
makes cancel (kill the group, every rank of a sync run included) and crash isolation clean.
The database is the control plane: the supervisor claims the run there under a lease, renews
the lease with every heartbeat, and reads cancel requests from it (a cheap status read every
``cancel_poll_interval_s``), so every broker transport works the same.

Each attempt trains the run's own resolved spec in ``DATA_DIR/runs/<id>``, writing the
engine's stdout and stderr to ``log.txt`` there. A retry starts from scratch: the previous
attempt's folder is kept aside as ``<id>.attempt-<n>``. A resume trains in the same folder
with ``--resume``: the engine continues from the folder's last checkpoint (fetched from the
artifact store first if this machine lacks it), or starts afresh when there is none.

How an attempt ends:

* the engine exits: ``succeeded`` (code 0) or ``failed`` with the log's tail;
* cancel: the process group is killed, ``cancelled``;
* the time limit (``time_limit_s`` of the submission) passes: killed, ``failed``;
* the worker shuts down (warm, SIGTERM): killed, the run queued again as a ``resume``
  attempt (another worker continues it from its last checkpoint);
* the lease is lost (the reaper resumed the run elsewhere after missed heartbeats): killed,
  and nothing written, since the run belongs to another attempt now.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from backend.artifacts import RESUME_FILES, RUN_FILES, ArtifactStore
from backend.db import is_transient, retry_transient
from backend.services import runs
from backend.settings import Settings
from worker import provenance
from worker.metrics import BACKOFF_MAX_S, MetricsForwarder, MetricsTail
from worker.resources import GpuPool, cuda_visible_devices

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Set when the worker begins shutting down: supervisors stop their runs and requeue them.
shutting_down = threading.Event()

POLL_S = 0.5
SEND_EVERY_S = 2.0
# SIGTERM, then SIGKILL: a cancel must stop every process of the run within 5 s.
KILL_GRACE_S = 2.0
ERROR_TAIL_LINES = 20
FINAL_FLUSH_S = 30.0


@dataclass
class Outcome:
    """How an attempt ended: a final ``status``, ``requeue`` or ``lost`` (see the module)."""

    status: str
    error: str | None = None


class RunSupervisor:
    """Executes one delivery of ``rlboard.execute_run`` for ``run_id``.

    ``gpus``: the worker's GPU pool (None: the worker manages no GPUs, runs see what it sees).
    ``renew_message``: called every heartbeat, so the broker does not hand the message of a
    live run to another worker (Redis' visibility timeout). ``active``: the worker's current
    run ids, for its registry row.
    """

    def __init__(
        self, run_id: int, worker_name: str, settings: Settings, sessions: sessionmaker[Session],
        store: ArtifactStore, gpus: GpuPool | None = None,
        renew_message: Callable[[], None] = lambda: None, active: set[int] | None = None,
    ):
        self.run_id = run_id
        self.worker_name = worker_name
        self.settings = settings
        self.sessions = sessions
        self.store = store
        self.gpus = gpus
        self.renew_message = renew_message
        self.active = set() if active is None else active
        self.out_dir = (settings.data_dir / "runs" / str(run_id)).resolve()

    def execute(self) -> bool:
        """Run the attempt; False when the worker shut down before the run could start (its
        message must go back to the queue, the run being still queued)."""
        # Retried, so that a database restart does not bounce the message straight back.
        run = self._in_database(partial(runs.get_run, run_id=self.run_id), "start")
        spec, queue = run.spec, run.queue
        gpus = self._acquire_gpus(spec, queue)
        if gpus is None:
            return not shutting_down.is_set()
        try:
            self._execute(gpus)
        finally:
            if self.gpus is not None:
                self.gpus.release(gpus)
        return True

    def _acquire_gpus(self, spec: dict, queue: str) -> list[str] | None:
        """GPUs for the run (none for a CPU run); None if the run no longer wants them."""
        if self.gpus is None or queue != "gpu":
            return []
        count = spec["runner"].get("world_size", 1)
        try:
            gpus = self.gpus.acquire(count, self._still_queued, self.settings.heartbeat_interval_s)
        except ValueError as exc:
            with self.sessions() as session:
                if runs.claim_run(session, self.run_id, self.worker_name):
                    runs.finish_run(session, self.run_id, "failed", str(exc))
            return None
        return gpus or None

    def _still_queued(self) -> bool:
        """While waiting for GPUs: keep the message, and go on waiting if the run is queued."""
        self.renew_message()
        with self.sessions() as session:
            return runs.get_status(session, self.run_id) == "queued" and not shutting_down.is_set()

    def _execute(self, gpus: list[str]) -> None:
        with self.sessions() as session:
            run = runs.claim_run(session, self.run_id, self.worker_name,
                                 lease_timeout_s=self.settings.heartbeat_timeout_s)
            if run is None:
                log.info("run %d: delivery dropped (not queued, or its lease is alive)",
                         self.run_id)
                return
            # Read before the next commit expires them.
            attempt = run.attempts[-1]
            spec, seed, kind, number = run.spec, run.seed, attempt.kind, attempt.number
            lease, time_limit_s = run.lease_id, run.time_limit_s
            device = spec["device"] if gpus or self.gpus is None else "cpu"
            runs.record_provenance(session, self.run_id, provenance.collect(device))
        log.info("run %d: attempt %d (%s) on %s", self.run_id, number, kind,
                 f"GPUs {','.join(gpus)}" if gpus else "CPU")

        if kind == "retry" and self.out_dir.exists():
            self.out_dir.rename(self.out_dir.with_name(f"{self.run_id}.attempt-{number - 1}"))
        resume = kind == "resume"
        self.active.add(self.run_id)
        try:
            if resume:
                self._fetch_for_resume()
            process = self._start_engine(spec, seed, resume, gpus)
        except OSError as exc:
            self.active.discard(self.run_id)
            with self.sessions() as session:
                runs.finish_run(session, self.run_id, "failed",
                                f"could not start the engine: {exc}", lease)
            return
        tail = MetricsTail(self.out_dir / "metrics.jsonl")
        # The final flush sends no heartbeats: its waits must stay well inside the lease.
        forwarder = MetricsForwarder(
            self.settings.api_url, self.run_id, self.settings.worker_token,
            max_backoff_s=min(BACKOFF_MAX_S, self.settings.heartbeat_timeout_s / 4),
        )
        try:
            outcome = self._watch(process, tail, forwarder, lease, time_limit_s)
        finally:
            self._stop(process)  # a no-op once the group is gone; else nothing may outlive the run
            forwarder.add(tail.read_points())
            if not forwarder.flush_until(FINAL_FLUSH_S):
                log.error("run %d: %d metric points could not be sent", self.run_id,
                          len(forwarder.pending))
            forwarder.close()
            self.active.discard(self.run_id)
        self._sync_artifacts()
        if outcome.status == "requeue":
            # Not retried: it publishes a message after its COMMIT, which a retry after a lost
            # COMMIT would skip. If it fails, the reaper resumes the run.
            with self.sessions() as session:
                runs.requeue_run(session, self.run_id, outcome.error or "requeued",
                                 self.settings, lease_id=lease)
        elif outcome.status != "lost":
            self._in_database(partial(runs.finish_run, run_id=self.run_id, status=outcome.status,
                                      error=outcome.error, lease_id=lease), "final status")
        log.info("run %d %s", self.run_id, outcome.status)

    def _in_database(self, operation: Callable[[Session], T], what: str) -> T:
        """``operation(session)`` in a session of its own, tried again while the database is
        briefly unreachable (a restart); ``operation`` must be idempotent."""
        with self.sessions() as session:
            return retry_transient(session, partial(operation, session),
                                   f"run {self.run_id}: {what}")

    def _fetch_for_resume(self) -> None:
        """Bring the last checkpoint (and the metric files it continues) to this machine."""
        if (self.out_dir / "checkpoint.pt").exists():
            return
        for name in RESUME_FILES:
            self.store.fetch(self.run_id, name, self.out_dir / name)

    def _sync_artifacts(self) -> None:
        """Upload the run's files (a no-op for the local store, where they already are)."""
        for name in RUN_FILES:
            path = self.out_dir / name
            if path.is_file():
                try:
                    self.store.put(self.run_id, name, path)
                except Exception:  # the store may be down; the next sync tries again
                    log.warning("run %d: could not store %s", self.run_id, name, exc_info=True)

    def _start_engine(
        self, spec: dict, seed: int, resume: bool, gpus: list[str]
    ) -> subprocess.Popen[bytes]:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        spec_path = self.out_dir / "spec.json"
        spec_path.write_text(json.dumps(spec, indent=2))
        command = [sys.executable, "-m", "engine", "train", str(spec_path),
                   "--seed", str(seed), "--out", str(self.out_dir),
                   *(["--resume"] if resume else [])]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self.gpus is not None:  # a worker that hands out GPUs shows each run only its own
            env["CUDA_VISIBLE_DEVICES"] = cuda_visible_devices(gpus)
        log_file = (self.out_dir / "log.txt").open("ab")
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "worker.launch", *command],
                stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=self.out_dir, env=env,
            )
        finally:
            log_file.close()

    def _watch(
        self, process: subprocess.Popen[bytes], tail: MetricsTail, forwarder: MetricsForwarder,
        lease: str | None, time_limit_s: float | None,
    ) -> Outcome:
        """Forward metrics, heartbeats and artifacts until the process ends or must stop."""
        started = last_send = last_beat = last_check = last_sync = time.monotonic()
        while True:
            exit_code = process.poll()
            forwarder.add(tail.read_points())
            now = time.monotonic()
            if exit_code is not None:
                break
            if now - last_send >= SEND_EVERY_S:
                forwarder.flush()
                last_send = now
            if now - last_sync >= self.settings.artifact_sync_interval_s:
                self._sync_artifacts()
                last_sync = now
            current: str | None = "running"
            try:
                if now - last_beat >= self.settings.heartbeat_interval_s:
                    last_beat = last_check = now
                    self.renew_message()
                    with self.sessions() as session:
                        current = runs.record_heartbeat(session, self.run_id, tail.last_step,
                                                        lease)
                elif now - last_check >= self.settings.cancel_poll_interval_s:
                    last_check = now
                    with self.sessions() as session:
                        current = runs.get_status(session, self.run_id)
            except DBAPIError as exc:
                if not is_transient(exc):
                    raise
                # The database is restarting: train on and ask again at the next interval;
                # the lease outlives a few missed heartbeats (heartbeat_timeout_s).
                log.warning("run %d: database unavailable: %s", self.run_id,
                            str(exc.orig).strip())
            if current is None:
                log.warning("run %d: lease lost (resumed elsewhere); stopping", self.run_id)
                return Outcome("lost")
            if current == "cancelling":
                return Outcome("cancelled")
            if current != "running":  # declared lost meanwhile: its verdict stands
                return Outcome("failed", f"stopped: the run became {current}")
            if time_limit_s is not None and now - started > time_limit_s:
                return Outcome("failed", f"time limit of {time_limit_s:g} s exceeded")
            if shutting_down.is_set():
                return Outcome("requeue", f"requeued: worker {self.worker_name} shut down")
            time.sleep(POLL_S)
        if tail.last_step is not None:
            beat = partial(runs.record_heartbeat, run_id=self.run_id, steps_done=tail.last_step,
                           lease_id=lease)
            if self._in_database(beat, "last heartbeat") is None:
                return Outcome("lost")
        if exit_code == 0:
            return Outcome("succeeded")
        return Outcome("failed", f"engine exited with code {exit_code}:\n{self._log_tail()}")

    @staticmethod
    def _stop(process: subprocess.Popen[bytes]) -> None:
        """Terminate the run's whole process group, escalating to SIGKILL after a grace period."""
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(KILL_GRACE_S)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait()

    def _log_tail(self) -> str:
        path = self.out_dir / "log.txt"
        if not path.exists():
            return "(no log)"
        with path.open(errors="replace") as f:
            return "".join(deque(f, maxlen=ERROR_TAIL_LINES)).strip()
