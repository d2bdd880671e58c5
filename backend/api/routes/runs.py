"""Runs: status and metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from backend.api.common import NOT_FOUND, MaxPoints
from backend.api.deps import SessionDep
from backend.schemas import IngestResult, MetricBatch, MetricHistory, Run
from backend.services import metrics, runs

router = APIRouter(prefix="/runs", tags=["runs"])

RunId = Annotated[int, Path(alias="id")]


@router.get("/{id}", response_model=Run, responses=NOT_FOUND)
def get_run(run_id: RunId, session: SessionDep) -> Run:
    """Status, seed, progress, timings, worker and error of one run."""
    return Run.from_run(runs.get_run(session, run_id))


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
