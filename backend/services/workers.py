"""The worker registry behind ``GET /workers``: each worker upserts its row when it starts,
renews it with its current runs every heartbeat, and marks it stopped when it shuts down."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from backend.models import Worker, utcnow
from backend.schemas import WorkerInfo


def register_worker(
    session: Session, name: str, host: str, pid: int, queues: Sequence[str],
    gpus: Sequence[str], concurrency: int,
) -> None:
    """Record a starting worker (a restarted one replaces its old row). Commits."""
    now = utcnow()
    session.execute(delete(Worker).where(Worker.name == name))
    session.add(Worker(name=name, host=host, pid=pid, queues=list(queues), gpus=list(gpus),
                       concurrency=concurrency, run_ids=[], started_at=now, heartbeat_at=now))
    session.commit()


def worker_heartbeat(session: Session, name: str, run_ids: Sequence[int]) -> None:
    """The worker is alive and executes ``run_ids``. Commits."""
    session.execute(
        update(Worker).where(Worker.name == name)
        .values(heartbeat_at=utcnow(), run_ids=sorted(run_ids))
    )
    session.commit()


def stop_worker(session: Session, name: str) -> None:
    """The worker shut down. Commits."""
    session.execute(
        update(Worker).where(Worker.name == name).values(stopped_at=utcnow(), run_ids=[])
    )
    session.commit()


def list_workers(session: Session, timeout_s: float) -> list[WorkerInfo]:
    """Every known worker by name; ``alive``: not stopped, heartbeat within ``timeout_s``."""
    cutoff = utcnow() - timedelta(seconds=timeout_s)
    return [
        WorkerInfo(
            name=w.name, host=w.host, pid=w.pid, queues=w.queues, gpus=w.gpus,
            concurrency=w.concurrency, run_ids=w.run_ids, started_at=w.started_at,
            heartbeat_at=w.heartbeat_at, stopped_at=w.stopped_at,
            alive=w.stopped_at is None and w.heartbeat_at >= cutoff,
        )
        for w in session.scalars(select(Worker).order_by(Worker.name))
    ]
