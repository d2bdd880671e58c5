"""Experiments: create (with a sweep), clone, edit, cancel, search and list, detail, and
learning curves."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from backend.api.common import NOT_FOUND, IdPath, MaxPoints, MetricKeyQuery
from backend.api.deps import SessionDep, SettingsDep
from backend.schemas import (
    Curves,
    ErrorMessage,
    ExperimentClone,
    ExperimentCreate,
    ExperimentDetail,
    ExperimentList,
    ExperimentQuery,
    ExperimentSummary,
    ExperimentUpdate,
    MetricKeys,
)
from backend.schemas import Band, XAxis
from backend.services import curves, experiments, metrics, runs
from backend.services.stats import Aggregate

router = APIRouter(prefix="/experiments", tags=["experiments"])

ExperimentId = IdPath
NOT_ENQUEUED = {503: {"model": ErrorMessage, "description": "Runs stored but not enqueued"}}


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=ExperimentDetail, responses=NOT_ENQUEUED
)
def create_experiment(
    body: ExperimentCreate, session: SessionDep, settings: SettingsDep
) -> ExperimentDetail:
    """Store the experiment with one run per seed (per sweep variant and seed with a sweep)
    and enqueue every run. 422 naming the field for a bad spec or sweep."""
    experiment = experiments.create_experiment(session, body, settings.max_runs_per_experiment)
    session.commit()
    runs.enqueue_runs(session, experiment.runs, settings)
    return ExperimentDetail.from_experiment(experiment)


@router.get("", response_model=ExperimentList)
def list_experiments(
    session: SessionDep, query: Annotated[ExperimentQuery, Query()]
) -> ExperimentList:
    """Experiments matching the search and filters, newest first, each with its runs' status
    counts and progress."""
    page, total = experiments.list_experiments(session, query)
    return ExperimentList(
        items=[ExperimentSummary.from_experiment(experiment) for experiment in page],
        total=total,
    )


@router.get("/{id}", response_model=ExperimentDetail, responses=NOT_FOUND)
def get_experiment(experiment_id: ExperimentId, session: SessionDep) -> ExperimentDetail:
    """One experiment with its resolved spec and its runs."""
    return ExperimentDetail.from_experiment(experiments.get_experiment(session, experiment_id))


@router.patch("/{id}", response_model=ExperimentDetail, responses=NOT_FOUND)
def update_experiment(
    experiment_id: ExperimentId, body: ExperimentUpdate, session: SessionDep
) -> ExperimentDetail:
    """Replace the tags and/or the notes."""
    return ExperimentDetail.from_experiment(
        experiments.update_experiment(session, experiment_id, body)
    )


@router.post(
    "/{id}/clone",
    status_code=status.HTTP_201_CREATED,
    response_model=ExperimentDetail,
    responses={**NOT_FOUND, **NOT_ENQUEUED},
)
def clone_experiment(
    experiment_id: ExperimentId, body: ExperimentClone, session: SessionDep, settings: SettingsDep
) -> ExperimentDetail:
    """A new experiment from this one's spec with ``changes`` (dotted paths) applied, its tags
    and its sweep; 422 naming an unknown path or an invalid resulting value."""
    experiment = experiments.clone_experiment(
        session, experiment_id, body, settings.max_runs_per_experiment
    )
    session.commit()
    runs.enqueue_runs(session, experiment.runs, settings)
    return ExperimentDetail.from_experiment(experiment)


@router.post("/{id}/cancel", response_model=ExperimentDetail, responses=NOT_FOUND)
def cancel_experiment(
    experiment_id: ExperimentId, session: SessionDep, settings: SettingsDep
) -> ExperimentDetail:
    """Cancel every unfinished run: queued ones at once, running ones via ``cancelling``."""
    return ExperimentDetail.from_experiment(
        experiments.cancel_experiment(session, experiment_id, settings)
    )


@router.get("/{id}/keys", response_model=MetricKeys, responses=NOT_FOUND)
def get_experiment_keys(experiment_id: ExperimentId, session: SessionDep) -> MetricKeys:
    """Every metric key its runs have logged, sorted."""
    return MetricKeys(keys=metrics.experiment_keys(session, experiment_id))


@router.get("/{id}/curves", response_model=Curves, responses=NOT_FOUND)
def get_experiment_curves(
    experiment_id: ExperimentId,
    session: SessionDep,
    key: MetricKeyQuery = "return_mean",
    x: XAxis = "step",
    agg: Aggregate = "mean",
    band: Band = "ci",
    group_by: Literal["variant"] | None = None,
    max_points: MaxPoints = 500,
) -> Curves:
    """Every seed's series of ``key`` plus the seed aggregate on a common grid of ``x``.

    ``agg`` (mean, median or IQM) with its ``band``: a 95% bootstrap interval over seeds,
    +- the std over seeds, or min/max. ``group_by=variant`` adds one aggregate per variant.
    """
    return curves.experiment_curves(
        session, experiment_id, key, max_points, x, agg, band, group_by_variant=group_by == "variant"
    )
