"""The run lifecycle: enqueue, claim, heartbeat, cancel, finish, retry and resume, and the reaper.

States: ``queued -> running -> succeeded | failed | cancelled``, with ``cancelling`` while a
worker kills a running run's engine; ``failed`` and ``cancelled`` runs go back to ``queued``
as a new attempt (retry from scratch, or resume from the last checkpoint), and so does a
running run whose worker shut down or was lost (``requeue_run``, automatically).

A worker holds a run through a lease: the claim gives the run a new ``lease_id``, heartbeats
renew it (``heartbeat_at``), and every later write of that worker names it, so a worker whose
lease was taken over (its run declared lost and resumed elsewhere) changes nothing any more.

Every transition is one conditional UPDATE, so concurrent workers, API requests and the
reaper never overwrite each other's decisions. In the same transaction the run's open attempt
(the one not finished yet) takes over the run's new values, so attempts never disagree with it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Update, case, delete, func, literal, select, update
from sqlalchemy.orm import Session

from backend import broker
from backend.models import (
    FINISHED_STATUSES,
    MetricBlock,
    MetricPoint,
    MetricSeries,
    Run,
    RunAttempt,
    RunStatus,
    utcnow,
)
from backend.schemas import Provenance
from backend.services.errors import ConflictError, EnqueueError, NotFoundError
from backend.settings import Settings

logger = logging.getLogger(__name__)

CANCELLABLE: tuple[RunStatus, ...] = ("queued", "running")
RESTARTABLE: tuple[RunStatus, ...] = ("failed", "cancelled")


def get_run(session: Session, run_id: int) -> Run:
    """The run ``run_id``, or NotFoundError."""
    run = session.get(Run, run_id)
    if run is None:
        raise NotFoundError(f"run {run_id} not found")
    return run


def get_status(session: Session, run_id: int) -> str:
    """Just the run's status: the cheap read a worker repeats every second to notice a cancel."""
    status = session.scalar(select(Run.status).where(Run.id == run_id))
    if status is None:
        raise NotFoundError(f"run {run_id} not found")
    return status


def enqueue_runs(session: Session, runs: Sequence[Run], settings: Settings) -> None:
    """Send a task per run to the broker and store the task ids. Commits.

    At the first failure the runs not yet sent are marked failed (the broker is most likely
    down for all of them) and EnqueueError is raised; the runs themselves stay stored. No
    worker can hold these runs yet (their tasks were never sent), so plain writes are safe.
    """
    run_ids = [run.id for run in runs]
    for index, run in enumerate(runs):
        try:
            run.task_id = broker.enqueue_run(run.id, run.queue, settings)
        except Exception as exc:  # any broker failure: connection, serialization, config
            unsent = runs[index:]
            for failed in unsent:
                failed.status = "failed"
                failed.finished_at = utcnow()
                failed.error = f"could not enqueue: {exc}"
            session.flush()
            _mirror_on_attempts(session, run_ids, "task_id", "status", "finished_at", "error")
            session.commit()
            raise EnqueueError(
                f"experiment {run.experiment_id} is stored, but runs "
                f"{[failed.id for failed in unsent]} could not be enqueued and are marked "
                f"failed: {exc}"
            ) from exc
    session.flush()
    _mirror_on_attempts(session, run_ids, "task_id")
    session.commit()


def claim_run(
    session: Session, run_id: int, worker: str, lease_timeout_s: float | None = None
) -> Run | None:
    """Move a queued run to running for ``worker`` under a new lease; None if not claimable.

    A Celery message delivered twice reaches this twice; only the first claim wins, so the
    run never trains twice. A cancelled run is not queued either, so its message is dropped.
    With ``lease_timeout_s``, a running run whose heartbeat is older than that (its worker is
    lost, and the broker delivered its message again) is taken over as a new ``resume``
    attempt; a run whose lease is alive is never taken. Commits.
    """
    now = utcnow()
    lease_id = uuid.uuid4().hex
    claimed = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == "queued")
        .values(status="running", worker=worker, started_at=now, heartbeat_at=now,
                lease_id=lease_id)
        .returning(Run.id)
    ).scalar_one_or_none()
    if claimed is not None:
        _mirror_on_attempts(session, [run_id], "status", "worker", "started_at")
    elif lease_timeout_s is not None:
        claimed = _take_over(session, run_id, worker, lease_id, lease_timeout_s, now)
    session.commit()
    if claimed is None:
        return None
    return session.get(Run, run_id, populate_existing=True)


def _take_over(
    session: Session, run_id: int, worker: str, lease_id: str, timeout_s: float, now: datetime
) -> int | None:
    """Claim a running run whose lease expired as a new resume attempt of ``worker``."""
    lost = session.execute(
        select(Run.worker, Run.task_id)
        .where(Run.id == run_id, Run.status == "running",
               Run.heartbeat_at < now - timedelta(seconds=timeout_s))
    ).one_or_none()
    if lost is None:
        return None
    previous, task_id = lost
    taken = session.execute(
        update(Run)
        # The same conditions again: of two workers taking over at once, one wins.
        .where(Run.id == run_id, Run.status == "running",
               Run.heartbeat_at < now - timedelta(seconds=timeout_s))
        .values(worker=worker, started_at=now, heartbeat_at=now, lease_id=lease_id,
                recoveries=Run.recoveries + 1)
        .returning(Run.id),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if taken is None:
        return None
    _close_attempt(session, run_id, f"lost: lease of worker {previous} expired; taken over",
                   now)
    session.add(RunAttempt(run_id=run_id, number=_next_attempt(session, run_id), kind="resume",
                           status="running", worker=worker, task_id=task_id, started_at=now))
    return taken


def record_provenance(session: Session, run_id: int, provenance: Provenance) -> None:
    """Note on the run's open attempt what its worker trains with. Commits."""
    session.execute(
        _open_attempts([run_id]).values(**provenance.model_dump()),
        execution_options={"synchronize_session": False},
    )
    session.commit()


def record_heartbeat(
    session: Session, run_id: int, steps_done: int | None, lease_id: str | None = None
) -> str | None:
    """Note that the run's worker is alive (and how far it got), renewing its lease; returns
    the run's status, or None when ``lease_id`` no longer holds the run.

    The worker stops training when the answer is no longer ``running`` (cancelled, or
    declared lost). Commits.
    """
    values: dict[str, object] = {"heartbeat_at": utcnow()}
    if steps_done is not None:
        values["steps_done"] = steps_done
    status = session.execute(
        update(Run).where(Run.id == run_id, *_holding(lease_id)).values(**values)
        .returning(Run.status)
    ).scalar_one_or_none()
    session.commit()
    if status is None:
        get_run(session, run_id)  # NotFoundError if there is no such run
    return status


def finish_run(
    session: Session, run_id: int, status: str, error: str | None = None,
    lease_id: str | None = None,
) -> None:
    """Give a running (or cancelling) run its final ``status``. Commits.

    A run that is no longer running keeps the status it has: the reaper may have declared it
    lost, and that verdict, already shown to users, is not silently rewritten. With
    ``lease_id``, only while that lease holds the run.
    """
    if status not in FINISHED_STATUSES:
        raise ValueError(f"final status must be one of {sorted(FINISHED_STATUSES)}, not {status!r}")
    finished = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status.in_(("running", "cancelling")), *_holding(lease_id))
        .values(status=status, finished_at=utcnow(), error=error)
        .returning(Run.id)
    ).scalar_one_or_none()
    if finished is not None:
        _mirror_on_attempts(session, [run_id], "status", "finished_at", "error")
    session.commit()
    if finished is None:
        logger.warning("run %s was not running; its final status %r is ignored", run_id, status)


def requeue_run(
    session: Session, run_id: int, reason: str, settings: Settings,
    lease_id: str | None = None, recovery: bool = False,
) -> bool:
    """Put a running run back in the queue as a new ``resume`` attempt and enqueue it: its
    worker shuts down (``lease_id``: only while that lease holds it) or was lost
    (``recovery``: counted against ``max_recoveries``). The open attempt ends ``failed`` with
    ``reason``. Returns whether the run was requeued. Commits.
    """
    now = utcnow()
    requeued = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == "running", *_holding(lease_id))
        .values(status="queued", worker=None, task_id=None, started_at=None, heartbeat_at=None,
                lease_id=None, error=None,
                recoveries=Run.recoveries + 1 if recovery else Run.recoveries)
        .returning(Run.id),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if requeued is None:
        session.commit()
        return False
    _close_attempt(session, run_id, reason, now)
    session.add(RunAttempt(run_id=run_id, number=_next_attempt(session, run_id), kind="resume"))
    session.commit()
    enqueue_runs(session, [get_run(session, run_id)], settings)
    return True


def recover_lost_runs(
    session: Session, settings: Settings, now: datetime | None = None
) -> list[int]:
    """The reaper: resume each running run whose lease expired on another worker (at most
    ``max_recoveries`` times a run), then end the rest as ``mark_lost_runs`` does. Returns the
    ids of the runs resumed. Commits."""
    now = now or utcnow()
    timeout_s = settings.heartbeat_timeout_s
    lost = session.execute(
        select(Run.id, Run.worker).where(
            Run.status == "running",
            Run.heartbeat_at < now - timedelta(seconds=timeout_s),
            Run.recoveries < settings.max_recoveries,
        )
    ).all()
    resumed = [
        run_id for run_id, worker in lost
        if requeue_run(session, run_id, f"lost: no heartbeat from worker {worker} for "
                       f"{timeout_s:g} s; resumed", settings, recovery=True)
    ]
    if resumed:
        logger.warning("runs %s lost their worker; resumed from their checkpoints", resumed)
    mark_lost_runs(session, timeout_s, now)
    return resumed


def _holding(lease_id: str | None) -> list[ColumnElement[bool]]:
    """The condition that ``lease_id`` holds the run (none without a lease to check)."""
    return [] if lease_id is None else [Run.lease_id == lease_id]


def _close_attempt(session: Session, run_id: int, error: str, now: datetime) -> None:
    """End the run's open attempt as failed with ``error``."""
    session.execute(
        _open_attempts([run_id]).values(status="failed", finished_at=now, error=error),
        execution_options={"synchronize_session": False},
    )


def _next_attempt(session: Session, run_id: int) -> int:
    number = session.scalar(select(func.max(RunAttempt.number)).where(RunAttempt.run_id == run_id))
    return (number or 0) + 1


def cancel_runs(session: Session, which: ColumnElement[bool], settings: Settings) -> list[int]:
    """Cancel the unfinished runs matching ``which``; returns the ids that changed. Commits.

    A queued run is cancelled at once and its task revoked (a worker that gets it anyway finds
    it no longer queued); a running run becomes ``cancelling``, and its worker, which reads the
    status every ``cancel_poll_interval_s``, kills the engine and finishes it as cancelled.
    """
    now = utcnow()
    queued = Run.status == "queued"
    changed = session.execute(
        update(Run)
        .where(which, Run.status.in_(CANCELLABLE))
        # SET sees the row as it was, so both CASEs test the old status.
        .values(
            status=case((queued, "cancelled"), else_="cancelling"),
            finished_at=case((queued, now), else_=Run.finished_at),
        )
        .returning(Run.id, Run.status, Run.task_id),
        execution_options={"synchronize_session": False},
    ).all()
    _mirror_on_attempts(session, [run_id for run_id, _, _ in changed], "status", "finished_at")
    session.commit()
    for run_id, status, task_id in changed:
        if status == "cancelled" and task_id:
            _revoke(run_id, task_id, settings)
    return [run_id for run_id, _, _ in changed]


def cancel_run(session: Session, run_id: int, settings: Settings) -> Run:
    """Cancel one run (see ``cancel_runs``); cancelling it again is a no-op. Commits.

    ConflictError for a run that has already finished.
    """
    if not cancel_runs(session, Run.id == run_id, settings):
        run = get_run(session, run_id)
        if run.status != "cancelling":
            raise _illegal(run, "cancel", CANCELLABLE)
    return get_run(session, run_id)


def restart_run(
    session: Session, run_id: int, kind: Literal["retry", "resume"], settings: Settings
) -> Run:
    """Queue a failed or cancelled run again as a new attempt and enqueue it. Commits.

    ``retry`` starts from scratch: the run's metric points and progress are deleted.
    ``resume`` keeps them; the worker continues from the run's last checkpoint.
    ConflictError for a run in any other state.
    """
    values: dict[str, Any] = dict(
        status="queued", worker=None, task_id=None, started_at=None, finished_at=None,
        heartbeat_at=None, error=None, lease_id=None, recoveries=0,
    )
    if kind == "retry":
        values["steps_done"] = 0
    restarted = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status.in_(RESTARTABLE))
        .values(**values)
        .returning(Run.id),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if restarted is None:
        raise _illegal(get_run(session, run_id), kind, RESTARTABLE)
    if kind == "retry":
        for table in (MetricPoint, MetricSeries, MetricBlock):
            session.execute(delete(table).where(table.run_id == run_id))
    session.add(RunAttempt(run_id=run_id, number=_next_attempt(session, run_id), kind=kind))
    session.commit()
    run = get_run(session, run_id)
    enqueue_runs(session, [run], settings)
    return run


def mark_lost_runs(session: Session, timeout_s: float, now: datetime | None = None) -> list[int]:
    """End the runs whose last heartbeat is older than ``timeout_s``; returns their ids.

    A running run is failed; a cancelling one is cancelled (nobody is left to kill it).
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
            .where(
                Run.status.in_(("running", "cancelling")),
                Run.heartbeat_at < now - timedelta(seconds=timeout_s),
            )
            .values(
                status=case((Run.status == "cancelling", "cancelled"), else_="failed"),
                finished_at=now,
                error=error,
            )
            .returning(Run.id),
            execution_options={"synchronize_session": False},
        )
        .scalars()
        .all()
    )
    _mirror_on_attempts(session, lost, "status", "finished_at", "error")
    session.commit()
    if lost:
        logger.warning("runs %s lost their worker (no heartbeat for %g s)", lost, timeout_s)
    return list(lost)


def _open_attempts(run_ids: Sequence[int]) -> Update:
    """UPDATE of the open (unfinished) attempt of each of ``run_ids``."""
    return update(RunAttempt).where(
        RunAttempt.run_id.in_(run_ids), RunAttempt.finished_at.is_(None)
    )


def _mirror_on_attempts(session: Session, run_ids: Sequence[int], *columns: str) -> None:
    """Copy ``columns`` of each of ``run_ids`` onto its open attempt, in one UPDATE."""
    if not run_ids:
        return
    session.execute(
        _open_attempts(run_ids).values(
            {
                column: select(getattr(Run, column))
                .where(Run.id == RunAttempt.run_id)
                .scalar_subquery()
                for column in columns
            }
        ),
        execution_options={"synchronize_session": False},
    )


def _illegal(run: Run, action: str, allowed: Sequence[str]) -> ConflictError:
    """The 409 for ``action`` on ``run`` in a state other than ``allowed``."""
    return ConflictError(
        f"cannot {action} run {run.id}: it is {run.status}, and {action} needs a "
        f"{' or '.join(allowed)} run"
    )


def _revoke(run_id: int, task_id: str, settings: Settings) -> None:
    """Revoke a cancelled run's task; best effort, since a claim of it does nothing anyway."""
    try:
        broker.revoke_task(task_id, settings)
    except Exception:  # the broker may be down; the database already says cancelled
        logger.warning("run %s: could not revoke task %s", run_id, task_id, exc_info=True)
