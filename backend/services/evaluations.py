"""Evaluations of a run's checkpoint: requested through the API, played by a worker
(``rlboard.evaluate`` on the run's queue, ``python -m engine evaluate``), the returns stored
here and the video kept as the run's artifact ``eval-<id>.mp4`` (or ``.gif``)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend import broker
from backend.models import Evaluation, utcnow
from backend.services.errors import ConflictError, EnqueueError, NotFoundError
from backend.services.runs import get_run
from backend.settings import Settings


def request_evaluation(
    session: Session, run_id: int, episodes: int, video: bool, settings: Settings,
    has_checkpoint: bool,
) -> Evaluation:
    """Queue an evaluation of the run's checkpoint. ConflictError if it has none yet;
    EnqueueError (503) if the broker refuses, the evaluation then failed. Commits."""
    run = get_run(session, run_id)
    if not has_checkpoint:
        raise ConflictError(f"run {run_id} has no checkpoint to evaluate yet")
    evaluation = Evaluation(run_id=run_id, episodes=episodes, video=video)
    session.add(evaluation)
    session.commit()
    try:
        broker.enqueue_evaluation(evaluation.id, run.queue, settings)
    except Exception as exc:  # any broker failure
        finish_evaluation(session, evaluation.id, error=f"could not enqueue: {exc}")
        raise EnqueueError(f"evaluation {evaluation.id} could not be enqueued: {exc}") from exc
    return evaluation


def list_evaluations(session: Session, run_id: int) -> list[Evaluation]:
    get_run(session, run_id)
    return list(session.scalars(
        select(Evaluation).where(Evaluation.run_id == run_id).order_by(Evaluation.id)
    ))


def claim_evaluation(session: Session, evaluation_id: int, worker: str) -> Evaluation | None:
    """Queued -> running for ``worker``; None if it is not queued (delivered twice). Commits."""
    claimed = session.execute(
        update(Evaluation)
        .where(Evaluation.id == evaluation_id, Evaluation.status == "queued")
        .values(status="running", worker=worker)
        .returning(Evaluation.id)
    ).scalar_one_or_none()
    session.commit()
    return None if claimed is None else session.get(Evaluation, evaluation_id,
                                                    populate_existing=True)


def finish_evaluation(
    session: Session, evaluation_id: int, returns: list[float] | None = None,
    video_name: str | None = None, error: str | None = None,
) -> None:
    """Succeeded with ``returns`` (and ``video_name``), or failed with ``error``. Commits."""
    updated = session.execute(
        update(Evaluation).where(Evaluation.id == evaluation_id)
        .values(status="failed" if error else "succeeded", returns=returns,
                video_name=video_name, error=error, finished_at=utcnow())
    ).rowcount
    session.commit()
    if not updated:
        raise NotFoundError(f"evaluation {evaluation_id} not found")
