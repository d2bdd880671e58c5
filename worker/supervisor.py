"""Supervision of one run: claim it, start the engine in its own process group, watch it.

One ``RunSupervisor`` lives in one Celery pool thread for the whole run. The training itself
happens in a child process (``python -m engine train``), never in the pool thread, because a
Celery pool may not fork samplers and optimizers itself, and because a separate process group
makes cancel (kill the group) and crash isolation clean. The database is the control plane:
the supervisor claims the run there, renews its heartbeat there, and reads cancel requests
from it (a cheap status read every ``cancel_poll_interval_s``), so every broker transport
works the same.

Each attempt trains the run's own resolved spec in ``DATA_DIR/runs/<id>``. A retry starts
from scratch: the previous attempt's folder is kept aside as ``<id>.attempt-<n>``. A resume
trains in the same folder with ``--resume``: the engine continues from the folder's last
checkpoint, or starts afresh when there is none.
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

from sqlalchemy.orm import Session, sessionmaker

from backend.services import runs
from backend.settings import Settings
from worker import provenance
from worker.metrics import MetricsForwarder, MetricsTail

log = logging.getLogger(__name__)

#: Set when the worker begins shutting down: supervisors stop their runs instead of waiting.
shutting_down = threading.Event()

POLL_S = 0.5
SEND_EVERY_S = 2.0
KILL_GRACE_S = 5.0
ERROR_TAIL_LINES = 20
FINAL_FLUSH_S = 30.0


class RunSupervisor:
    def __init__(self, run_id: int, worker_name: str, settings: Settings, sessions: sessionmaker[Session]):
        self.run_id = run_id
        self.worker_name = worker_name
        self.settings = settings
        self.sessions = sessions
        self.out_dir = (settings.data_dir / "runs" / str(run_id)).resolve()

    def execute(self) -> None:
        with self.sessions() as session:
            run = runs.claim_run(session, self.run_id, self.worker_name)
            if run is None:
                log.info("run %d is not queued (delivered twice?): dropped", self.run_id)
                return
            # Read before the next commit expires them.
            attempt = run.attempts[-1]
            spec, seed, kind, number = run.spec, run.seed, attempt.kind, attempt.number
            runs.record_provenance(session, self.run_id, provenance.collect(spec["device"]))

        if kind == "retry" and self.out_dir.exists():
            self.out_dir.rename(self.out_dir.with_name(f"{self.run_id}.attempt-{number - 1}"))
        resume = kind == "resume"
        try:
            process = self._start_engine(spec, seed, resume)
        except OSError as exc:
            with self.sessions() as session:
                runs.finish_run(session, self.run_id, "failed", f"could not start the engine: {exc}")
            return
        tail = MetricsTail(self.out_dir / "metrics.jsonl")
        forwarder = MetricsForwarder(self.settings.api_url, self.run_id, self.settings.worker_token)
        try:
            status, error = self._watch(process, tail, forwarder)
        finally:
            self._stop(process)  # a no-op once the group is gone; else nothing may outlive the run
            forwarder.add(tail.read_points())
            if not forwarder.flush_until(FINAL_FLUSH_S):
                log.error("run %d: %d metric points could not be sent", self.run_id, len(forwarder.pending))
            forwarder.close()
        with self.sessions() as session:
            runs.finish_run(session, self.run_id, status, error)
        log.info("run %d %s", self.run_id, status)

    def _start_engine(self, spec: dict, seed: int, resume: bool) -> subprocess.Popen[bytes]:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        spec_path = self.out_dir / "spec.json"
        spec_path.write_text(json.dumps(spec, indent=2))
        command = [sys.executable, "-m", "engine", "train", str(spec_path),
                   "--seed", str(seed), "--out", str(self.out_dir), *(["--resume"] if resume else [])]
        log_file = (self.out_dir / "log.txt").open("ab")
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "worker.launch", *command],
                stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=self.out_dir,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        finally:
            log_file.close()

    def _watch(
        self, process: subprocess.Popen[bytes], tail: MetricsTail, forwarder: MetricsForwarder
    ) -> tuple[str, str | None]:
        """Forward metrics and heartbeats until the process ends; returns (status, error)."""
        last_send = last_beat = last_check = time.monotonic()
        while True:
            exit_code = process.poll()
            forwarder.add(tail.read_points())
            now = time.monotonic()
            if exit_code is not None:
                break
            if now - last_send >= SEND_EVERY_S:
                forwarder.flush()
                last_send = now
            current = None
            if now - last_beat >= self.settings.heartbeat_interval_s:
                with self.sessions() as session:
                    current = runs.record_heartbeat(session, self.run_id, tail.last_step)
                last_beat = last_check = now
            elif now - last_check >= self.settings.cancel_poll_interval_s:
                with self.sessions() as session:
                    current = runs.get_status(session, self.run_id)
                last_check = now
            if current == "cancelling":
                return "cancelled", None
            if current not in (None, "running"):  # declared lost meanwhile: its verdict stands
                return "failed", f"stopped: the run became {current}"
            if shutting_down.is_set():
                return "failed", f"interrupted: worker {self.worker_name} shut down"
            time.sleep(POLL_S)
        if tail.last_step is not None:
            with self.sessions() as session:
                runs.record_heartbeat(session, self.run_id, tail.last_step)
        if exit_code == 0:
            return "succeeded", None
        return "failed", f"engine exited with code {exit_code}:\n{self._log_tail()}"

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

