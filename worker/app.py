"""The Celery app of rlboard's workers: ``rlboard.execute_run`` and ``rlboard.evaluate``.

Delivery is at least once, training exactly once: messages are acknowledged late and rejected
on worker loss, so a message outlives a worker that dies with it; the database lease (claim +
heartbeat, ``backend.services.runs``) turns a second delivery of a live run into a no-op, and
one of a run whose lease expired into a resume from its last checkpoint.

On Redis an unacknowledged message goes back to the queue after the visibility timeout; so
that this never happens to the message of a live run, however long it trains, its worker
renews the message's entry in kombu's ``unacked_index`` with every heartbeat (see
``MessageKeeper``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from celery import Celery, signals
from celery.exceptions import Reject
from sqlalchemy.exc import DBAPIError

from backend.artifacts import artifact_store
from backend.broker import EVALUATE_TASK, EXECUTE_RUN_TASK, celery_config
from backend.db import create_db_engine, create_session_factory, is_transient
from backend.services import workers
from backend.settings import Settings, get_settings
from worker.evaluation import execute_evaluation
from worker.resources import GpuPool
from worker.supervisor import RunSupervisor, shutting_down

log = logging.getLogger(__name__)

settings = get_settings()
app = Celery("rlboard")
app.conf.update(
    celery_config(settings),
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
)
sessions = create_session_factory(create_db_engine(settings.effective_database_url, settings))
store = artifact_store(settings)


class MessageKeeper:
    """Keeps the Redis messages of live runs from being redelivered: ``renew(task_id)``
    moves the message's timestamp in ``unacked_index`` to now (only if it is still there)."""

    def __init__(self, settings: Settings):
        self.tags: dict[str, str] = {}  # task id -> delivery tag, set when a message arrives
        url = settings.broker_url or ""
        self._client = None
        if url.startswith(("redis://", "rediss://")):
            import redis

            options = app.conf.broker_transport_options or {}
            prefix = options.get("global_keyprefix", "")
            self._key = prefix + options.get("unacked_index_key", "unacked_index")
            self._client = redis.Redis.from_url(url, socket_timeout=5)

    def renew(self, task_id: str) -> None:
        tag = self.tags.get(task_id)
        if self._client is None or tag is None:
            return
        try:
            self._client.zadd(self._key, {tag: time.time()}, xx=True)
        except Exception:  # the broker may be down a moment; the next heartbeat tries again
            log.warning("could not renew the message of task %s", task_id, exc_info=True)


class WorkerState:
    """This worker process's GPUs, current runs and registry row."""

    def __init__(self) -> None:
        self.name = "worker"
        self.queues: list[str] = []
        self.gpus: GpuPool | None = None
        self.concurrency = 1
        self.active: set[int] = set()
        self.messages = MessageKeeper(settings)
        self.stopped = threading.Event()

    def configure(self, queues: list[str], gpus: list[str] | None, concurrency: int) -> None:
        """Called by ``rlboard worker`` before the worker starts."""
        self.queues = queues
        self.gpus = None if gpus is None else GpuPool(gpus)
        self.concurrency = concurrency

    def register(self, name: str) -> None:
        self.name = name
        with sessions() as session:
            workers.register_worker(session, name, socket.gethostname(), os.getpid(),
                                    self.queues, self.gpus.gpus if self.gpus else [],
                                    self.concurrency)
        threading.Thread(target=self._beat, name="registry", daemon=True).start()

    def _beat(self) -> None:
        while not self.stopped.wait(settings.heartbeat_interval_s):
            try:
                with sessions() as session:
                    workers.worker_heartbeat(session, self.name, list(self.active))
            except Exception:  # the database may be down a moment
                log.warning("could not renew the registry row of %s", self.name, exc_info=True)

    def unregister(self) -> None:
        self.stopped.set()
        try:
            with sessions() as session:
                workers.stop_worker(session, self.name)
        except Exception:
            log.warning("could not mark worker %s stopped", self.name, exc_info=True)


state = WorkerState()


@app.task(name=EXECUTE_RUN_TASK, bind=True)
def execute_run(self: Any, run_id: int) -> None:
    task_id = self.request.id
    supervisor = RunSupervisor(
        run_id, self.request.hostname or state.name, settings, sessions, store,
        gpus=state.gpus, renew_message=lambda: state.messages.renew(task_id), active=state.active,
    )
    try:
        started = supervisor.execute()
    except DBAPIError as exc:
        if not is_transient(exc):
            raise
        # The database went away (a restart): give the message back rather than lose it with
        # a failed task. The claim's lease makes the redelivery harmless at any stage.
        raise Reject(f"database unavailable: {exc.orig}", requeue=True) from exc
    finally:
        state.messages.tags.pop(task_id, None)
    if not started:  # shut down while the run waited for GPUs: give its message back
        raise Reject("worker shutting down", requeue=True)


@app.task(name=EVALUATE_TASK, bind=True)
def evaluate(self: Any, evaluation_id: int) -> None:
    execute_evaluation(evaluation_id, self.request.hostname or state.name, settings, sessions,
                       store)


@signals.task_received.connect
def _remember_delivery_tag(request: Any = None, **_: Any) -> None:
    state.messages.tags[request.id] = request.message.delivery_tag


@signals.worker_ready.connect
def _register(sender: Any = None, **_: Any) -> None:
    state.register(sender.hostname)


@signals.worker_shutting_down.connect
def _stop_runs(**_: Any) -> None:
    shutting_down.set()


@signals.worker_shutdown.connect
def _unregister(**_: Any) -> None:
    state.unregister()
