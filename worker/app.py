"""The Celery app of rlboard's workers and its one task, ``rlboard.execute_run``."""

from __future__ import annotations

from typing import Any

from celery import Celery, signals

from backend.broker import EXECUTE_RUN_TASK, celery_config
from backend.db import create_db_engine, create_session_factory
from backend.settings import get_settings
from worker.supervisor import RunSupervisor, shutting_down

settings = get_settings()
app = Celery("rlboard")
app.conf.update(
    celery_config(settings),
    # A message is acknowledged only once its run has ended, and the database lease (claim +
    # heartbeat) turns a second delivery into a no-op, so runs are never lost nor trained twice.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
)
sessions = create_session_factory(create_db_engine(settings.effective_database_url))


@app.task(name=EXECUTE_RUN_TASK, bind=True)
def execute_run(self: Any, run_id: int) -> None:
    RunSupervisor(run_id, self.request.hostname or "worker", settings, sessions).execute()


@signals.worker_shutting_down.connect
def _stop_runs(**_: Any) -> None:
    shutting_down.set()
