"""Creating, cloning, editing, cancelling, searching and listing experiments.

Each run stores the fully resolved spec it trains: its variant's values, and ``seeds`` narrowed
to its own seed. The experiment keeps the base spec and the sweep that produced the variants.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, cast, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, selectinload

from backend.models import Experiment, Run, RunAttempt
from backend.schemas import ExperimentClone, ExperimentCreate, ExperimentQuery, ExperimentUpdate
from backend.services import runs, sweeps
from backend.services.errors import NotFoundError
from backend.settings import Settings
from engine.spec import ExperimentSpec


def create_experiment(session: Session, request: ExperimentCreate, max_runs: int) -> Experiment:
    """Add an experiment and one queued run per (sweep variant, seed); the caller commits.

    InvalidInputError (422) for a bad sweep, before anything is written.
    """
    spec = request.spec
    experiment = Experiment(
        name=spec.name,
        spec=spec.model_dump(mode="json"),
        sweep=request.sweep,
        env_id=spec.env.id,
        algo=spec.algo.name,
        tags=request.tags,
        notes=request.notes,
        runs=[
            _new_run(variant.spec, seed, variant.values, request.time_limit_s)
            for variant in sweeps.expand(spec, request.sweep, max_runs)
            for seed in variant.spec.seeds
        ],
    )
    session.add(experiment)
    session.flush()
    return experiment


def _new_run(
    spec: ExperimentSpec, seed: int, variant: dict | None, time_limit_s: float | None
) -> Run:
    """A queued run of ``seed`` training ``spec``, with its first attempt."""
    return Run(
        seed=seed,
        spec={**spec.model_dump(mode="json"), "seeds": [seed]},
        variant=variant,
        queue=queue_for(spec),
        steps_total=spec.runner.n_steps,
        time_limit_s=time_limit_s,
        attempts=[RunAttempt(number=1, kind="fresh")],
    )


def queue_for(spec: ExperimentSpec) -> str:
    """``gpu`` for a run that asks for CUDA (a GPU worker gives it ``runner.world_size``
    GPUs), else ``cpu``; ``auto`` runs on CPU workers, which use a GPU only if they have one."""
    return "gpu" if spec.device == "cuda" else "cpu"


def clone_experiment(
    session: Session, experiment_id: int, clone: ExperimentClone, max_runs: int
) -> Experiment:
    """A new experiment from ``experiment_id``'s spec with ``clone.changes`` applied; the
    caller commits.

    Tags and the sweep carry over, except swept paths that the changes fix to one value.
    InvalidInputError (422 at ``body.changes.<path>``) for an unknown path or an invalid result.
    """
    source = get_experiment(session, experiment_id)
    loc = ("body", "changes")
    changed = sweeps.apply_changes(source.spec, clone.changes, loc)
    if clone.name is not None:
        changed["name"] = clone.name
    sweep = {path: values for path, values in (source.sweep or {}).items()
             if path not in clone.changes}
    request = ExperimentCreate(
        spec=sweeps.validate_spec(changed, loc), tags=source.tags, sweep=sweep or None
    )
    return create_experiment(session, request, max_runs)


def update_experiment(session: Session, experiment_id: int, changes: ExperimentUpdate) -> Experiment:
    """Set the given tags and notes (fields left out or null are kept). Commits."""
    values = changes.model_dump(exclude_none=True)
    if values:
        updated = session.execute(
            update(Experiment).where(Experiment.id == experiment_id).values(**values)
        ).rowcount
        session.commit()
        if not updated:
            raise NotFoundError(f"experiment {experiment_id} not found")
    return get_experiment(session, experiment_id)


def cancel_experiment(session: Session, experiment_id: int, settings: Settings) -> Experiment:
    """Cancel every unfinished run of the experiment (see ``runs.cancel_runs``). Commits."""
    get_experiment(session, experiment_id)
    runs.cancel_runs(session, Run.experiment_id == experiment_id, settings)
    return get_experiment(session, experiment_id)


def list_experiments(session: Session, query: ExperimentQuery) -> tuple[list[Experiment], int]:
    """One page of the experiments matching ``query``, newest first, with their runs loaded;
    and how many match in all."""
    conditions = _filters(session, query)
    total = session.scalar(select(func.count()).select_from(Experiment).where(*conditions)) or 0
    page = session.scalars(
        select(Experiment)
        .where(*conditions)
        .options(selectinload(Experiment.runs))
        .order_by(Experiment.id.desc())  # ids grow with creation time
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    return list(page), total


def _filters(session: Session, query: ExperimentQuery) -> list[ColumnElement[bool]]:
    """The WHERE conditions of ``query``'s search and filters (all must hold)."""
    conditions: list[ColumnElement[bool]] = []
    if query.q:
        # Tags are searched in their JSON text: a substring search needs no exact element.
        searched = (Experiment.name, Experiment.env_id, Experiment.algo,
                    cast(Experiment.tags, String), Experiment.notes)
        conditions.append(or_(*(column.icontains(query.q, autoescape=True) for column in searched)))
    if query.status:
        conditions.append(
            exists().where(Run.experiment_id == Experiment.id, Run.status == query.status)
        )
    if query.algo:
        conditions.append(Experiment.algo == query.algo)
    if query.env:
        conditions.append(Experiment.env_id == query.env)
    if query.tag:
        conditions.append(_has_tag(session, query.tag))
    return conditions


def _has_tag(session: Session, tag: str) -> ColumnElement[bool]:
    """Whether an experiment's tags (a JSON array) hold exactly ``tag``."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(Experiment.tags, JSONB).contains([tag])
    elements = func.json_each(Experiment.tags).table_valued("value")
    return exists().select_from(elements).where(elements.c.value == tag)


def get_experiment(session: Session, experiment_id: int) -> Experiment:
    """The experiment ``experiment_id``, or NotFoundError."""
    # Its runs and their attempts in two more queries, not one per run: the detail gives each
    # run's latest device.
    loaded = selectinload(Experiment.runs).selectinload(Run.attempts)
    experiment = session.get(Experiment, experiment_id, options=[loaded])
    if experiment is None:
        raise NotFoundError(f"experiment {experiment_id} not found")
    return experiment
