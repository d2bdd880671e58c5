"""The run lifecycle: claim, heartbeat, finish, and failing runs whose worker went silent.

Every transition is one conditional UPDATE, so concurrent workers, API requests and the
reaper never overwrite each other's decisions.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, literal, update
from sqlalchemy.orm import Session

from backend.models import FINISHED_STATUSES, Run, utcnow
from backend.services.errors import NotFoundError

logger = logging.getLogger(__name__)


def get_run(session: Session, run_id: int) -> Run:
    """The run ``run_id``, or NotFoundError."""
    run = session.get(Run, run_id)
    if run is None:
        raise NotFoundError(f"run {run_id} not found")
    return run


def claim_run(session: Session, run_id: int, worker: str) -> Run | None:
    """Move a queued run to running for ``worker``; None if it is not queued.

    A Celery message delivered twice reaches this twice; only the first claim wins, so the
    run never trains twice. Commits.
    """
    now = utcnow()
    claimed = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == "queued")
        .values(status="running", worker=worker, started_at=now, heartbeat_at=now)
        .returning(Run.id)
    ).scalar_one_or_none()
    session.commit()
    if claimed is None:
        return None
    return session.get(Run, run_id, populate_existing=True)


def record_heartbeat(session: Session, run_id: int, steps_done: int | None) -> str:
    """Note that the run's worker is alive (and how far it got); returns the run's status.

    The worker stops training when the answer is no longer ``running`` (cancelled, or
    declared lost). Commits.
    """
    values: dict[str, object] = {"heartbeat_at": utcnow()}
    if steps_done is not None:
        values["steps_done"] = steps_done
    status = session.execute(
        update(Run).where(Run.id == run_id).values(**values).returning(Run.status)
    ).scalar_one_or_none()
    session.commit()
    if status is None:
        raise NotFoundError(f"run {run_id} not found")
    return status


def finish_run(session: Session, run_id: int, status: str, error: str | None = None) -> None:
    """Give a running (or cancelling) run its final ``status``. Commits.

    A run that is no longer running keeps the status it has: the reaper may have declared it
    lost, and that verdict, already shown to users, is not silently rewritten.
    """
    if status not in FINISHED_STATUSES:
        raise ValueError(f"final status must be one of {sorted(FINISHED_STATUSES)}, not {status!r}")
    finished = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status.in_(("running", "cancelling")))
        .values(status=status, finished_at=utcnow(), error=error)
        .returning(Run.id)
    ).scalar_one_or_none()
    session.commit()
    if finished is None:
        logger.warning("run %s was not running; its final status %r is ignored", run_id, status)


def mark_lost_runs(session: Session, timeout_s: float, now: datetime | None = None) -> list[int]:
    """Fail running runs whose last heartbeat is older than ``timeout_s``; returns their ids.

    Commits.
    """
    now = now or utcnow()
    error = (
        literal("lost: no heartbeat from worker ")
        + func.coalesce(Run.worker, "?")
        + literal(f" for {timeout_s:g} s")
    )
    lost = (
        session.execute(
            update(Run)
            .where(Run.status == "running", Run.heartbeat_at < now - timedelta(seconds=timeout_s))
            .values(status="failed", finished_at=now, error=error)
            .returning(Run.id)
        )
        .scalars()
        .all()
    )
    session.commit()
    if lost:
        logger.warning("runs %s lost their worker (no heartbeat for %g s)", lost, timeout_s)
    return list(lost)
