"""Runs: status with attempts, lifecycle (cancel, retry, resume) and metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from backend.api.common import CONFLICT, NOT_FOUND, MaxPoints
from backend.api.deps import SessionDep, SettingsDep
from backend.schemas import ErrorMessage, IngestResult, MetricBatch, MetricHistory, RunDetail
from backend.services import metrics, runs

router = APIRouter(prefix="/runs", tags=["runs"])

RunId = Annotated[int, Path(alias="id")]
LIFECYCLE_ERRORS = {
    **NOT_FOUND,
    **CONFLICT,
    503: {"model": ErrorMessage, "description": "Queued again but not enqueued"},
}


@router.get("/{id}", response_model=RunDetail, responses=NOT_FOUND)
def get_run(run_id: RunId, session: SessionDep) -> RunDetail:
    """Status, seed, variant, resolved spec, progress, timings, error, and every attempt with
    its provenance (rlboard version, git commit, packages, device, host)."""
    return RunDetail.from_run(runs.get_run(session, run_id))


@router.post("/{id}/cancel", response_model=RunDetail, responses={**NOT_FOUND, **CONFLICT})
def cancel_run(run_id: RunId, session: SessionDep, settings: SettingsDep) -> RunDetail:
    """A queued run is cancelled at once; a running one becomes ``cancelling`` until its worker
    has stopped the engine (within seconds). 409 for a finished run."""
    return RunDetail.from_run(runs.cancel_run(session, run_id, settings))


@router.post("/{id}/retry", response_model=RunDetail, responses=LIFECYCLE_ERRORS)
def retry_run(run_id: RunId, session: SessionDep, settings: SettingsDep) -> RunDetail:
    """Train a failed or cancelled run again from scratch as a new attempt; its metric points
    are deleted. 409 in any other state."""
    return RunDetail.from_run(runs.restart_run(session, run_id, "retry", settings))


@router.post("/{id}/resume", response_model=RunDetail, responses=LIFECYCLE_ERRORS)
def resume_run(run_id: RunId, session: SessionDep, settings: SettingsDep) -> RunDetail:
    """Continue a failed or cancelled run from its last checkpoint as a new attempt; its
    metric points are kept. 409 in any other state."""
    return RunDetail.from_run(runs.restart_run(session, run_id, "resume", settings))


@router.post("/{id}/metrics", response_model=IngestResult, responses=NOT_FOUND)
def ingest_metrics(run_id: RunId, batch: MetricBatch, session: SessionDep) -> IngestResult:
    """Store a batch of points; points already stored (same key and step) are skipped."""
    stored = metrics.ingest(session, run_id, batch.points)
    return IngestResult(received=len(batch.points), stored=stored)


@router.get("/{id}/metrics", response_model=MetricHistory, responses=NOT_FOUND)
def get_run_metrics(
    run_id: RunId,
    session: SessionDep,
    key: str,
    max_points: MaxPoints = 1000,
) -> MetricHistory:
    """One series, downsampled on the server to at most ``max_points`` keeping min and max."""
    steps, values = metrics.series(session, run_id, key, max_points)
    return MetricHistory(key=key, steps=steps, values=values)
