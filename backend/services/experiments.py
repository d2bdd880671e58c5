"""Creating, enqueueing and listing experiments."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from backend import broker
from backend.models import Experiment, Run, utcnow
from backend.services.errors import EnqueueError, NotFoundError
from backend.settings import Settings
from engine.spec import ExperimentSpec


def create_experiment(
    session: Session, spec: ExperimentSpec, tags: list[str], notes: str
) -> Experiment:
    """Add an experiment and one queued run per seed; the caller commits."""
    queue = "gpu" if spec.device == "cuda" else "cpu"
    experiment = Experiment(
        name=spec.name,
        spec=spec.model_dump(mode="json"),
        env_id=spec.env.id,
        algo=spec.algo.name,
        tags=tags,
        notes=notes,
        runs=[Run(seed=seed, queue=queue, steps_total=spec.runner.n_steps) for seed in spec.seeds],
    )
    session.add(experiment)
    session.flush()
    return experiment


def enqueue_runs(session: Session, runs: Sequence[Run], settings: Settings) -> None:
    """Send a task per run to the broker and store the task ids. Commits.

    At the first failure the runs not yet sent are marked failed (the broker is most likely
    down for all of them) and EnqueueError is raised; the experiment itself stays stored.
    """
    for index, run in enumerate(runs):
        try:
            run.task_id = broker.enqueue_run(run.id, run.queue, settings)
        except Exception as exc:  # any broker failure: connection, serialization, config
            unsent = runs[index:]
            for failed in unsent:
                failed.status = "failed"
                failed.finished_at = utcnow()
                failed.error = f"could not enqueue: {exc}"
            session.commit()
            raise EnqueueError(
                f"experiment {run.experiment_id} is stored, but runs "
                f"{[failed.id for failed in unsent]} could not be enqueued and are marked "
                f"failed: {exc}"
            ) from exc
    session.commit()


def list_experiments(session: Session, limit: int, offset: int) -> tuple[list[Experiment], int]:
    """One page of experiments, newest first, with their runs loaded; and the total count."""
    total = session.scalar(select(func.count()).select_from(Experiment)) or 0
    page = session.scalars(
        select(Experiment)
        .options(selectinload(Experiment.runs))
        .order_by(Experiment.id.desc())  # ids grow with creation time
        .limit(limit)
        .offset(offset)
    ).all()
    return list(page), total


def get_experiment(session: Session, experiment_id: int) -> Experiment:
    """The experiment ``experiment_id``, or NotFoundError."""
    experiment = session.get(Experiment, experiment_id)
    if experiment is None:
        raise NotFoundError(f"experiment {experiment_id} not found")
    return experiment
