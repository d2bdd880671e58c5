"""Experiments: create, list, detail and learning curves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from backend.api.common import NOT_FOUND, MaxPoints
from backend.api.deps import SessionDep, SettingsDep
from backend.schemas import (
    Curves,
    ErrorMessage,
    ExperimentCreate,
    ExperimentDetail,
    ExperimentList,
    ExperimentSummary,
)
from backend.services import curves, experiments

router = APIRouter(prefix="/experiments", tags=["experiments"])

ExperimentId = Annotated[int, Path(alias="id")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ExperimentDetail,
    responses={503: {"model": ErrorMessage, "description": "Runs stored but not enqueued"}},
)
def create_experiment(
    body: ExperimentCreate, session: SessionDep, settings: SettingsDep
) -> ExperimentDetail:
    """Store the experiment with one run per seed and enqueue every run."""
    experiment = experiments.create_experiment(session, body.spec, body.tags, body.notes)
    session.commit()
    experiments.enqueue_runs(session, experiment.runs, settings)
    return ExperimentDetail.from_experiment(experiment)


@router.get("", response_model=ExperimentList)
def list_experiments(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ExperimentList:
    """Experiments, newest first, each with its runs' status counts and progress."""
    page, total = experiments.list_experiments(session, limit, offset)
    return ExperimentList(
        items=[ExperimentSummary.from_experiment(experiment) for experiment in page],
        total=total,
    )


@router.get("/{id}", response_model=ExperimentDetail, responses=NOT_FOUND)
def get_experiment(experiment_id: ExperimentId, session: SessionDep) -> ExperimentDetail:
    """One experiment with its resolved spec and its runs."""
    return ExperimentDetail.from_experiment(experiments.get_experiment(session, experiment_id))


@router.get("/{id}/curves", response_model=Curves, responses=NOT_FOUND)
def get_experiment_curves(
    experiment_id: ExperimentId,
    session: SessionDep,
    key: str = "return_mean",
    max_points: MaxPoints = 500,
) -> Curves:
    """Every seed's series of ``key`` plus the seed aggregate (mean, min, max, n)."""
    return curves.experiment_curves(session, experiment_id, key, max_points)
