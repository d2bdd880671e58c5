"""Runs: status with attempts, lifecycle (cancel, retry, resume), metrics, artifacts, the
log and evaluations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from backend.api.common import CONFLICT, NOT_FOUND, IdPath, MaxPoints, MetricKeyQuery
from backend.api.deps import ArtifactsDep, SessionDep, SettingsDep
from backend.artifacts import ARTIFACT_NAME, CONTENT_TYPES, content_type
from backend.schemas import (
    Artifact,
    ErrorMessage,
    Evaluation,
    EvaluationCreate,
    IngestResult,
    LogChunk,
    MetricBatch,
    MetricHistory,
    RunDetail,
)
from backend.services import evaluations, metrics, runs
from backend.services.errors import NotFoundError

router = APIRouter(prefix="/runs", tags=["runs"])

RunId = IdPath
MAX_LOG_CHUNK = 1 << 20
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
    key: MetricKeyQuery,
    max_points: MaxPoints = 1000,
) -> MetricHistory:
    """One series, downsampled on the server to at most ``max_points`` keeping min and max."""
    steps, values = metrics.series(session, run_id, key, max_points)
    return MetricHistory(key=key, steps=steps, values=values)


ArtifactName = Annotated[
    str, Path(pattern=f"^{ARTIFACT_NAME.pattern}$", description="e.g. log.txt, checkpoint.pt")
]


@router.get("/{id}/artifacts", response_model=list[Artifact], responses=NOT_FOUND)
def list_artifacts(run_id: RunId, session: SessionDep, store: ArtifactsDep) -> list[Artifact]:
    """The run's checkpoint, log, metric files and evaluation videos in the artifact store."""
    runs.get_run(session, run_id)
    return [Artifact(name=a.name, size=a.size, modified=a.modified) for a in store.list(run_id)]


@router.get(
    "/{id}/artifacts/{name}",
    response_class=StreamingResponse,
    responses={
        **NOT_FOUND,
        200: {"content": {media.split(";")[0]: {} for media in CONTENT_TYPES.values()}},
    },
)
def download_artifact(
    run_id: RunId, name: ArtifactName, session: SessionDep, store: ArtifactsDep
) -> StreamingResponse:
    """One artifact's bytes; only the names of ``list_artifacts`` exist."""
    runs.get_run(session, run_id)
    try:
        chunks = store.stream(run_id, name)
    except FileNotFoundError as exc:
        raise NotFoundError(f"run {run_id} has no artifact {name}") from exc
    return StreamingResponse(
        chunks, media_type=content_type(name),
        headers={"Content-Disposition": f'attachment; filename="run-{run_id}-{name}"'},
    )


@router.get("/{id}/logs", response_model=LogChunk, responses=NOT_FOUND)
def get_run_log(
    run_id: RunId,
    session: SessionDep,
    store: ArtifactsDep,
    offset: Annotated[int | None, Query(ge=0, description="Byte offset; default: the tail "
                                        "(the last ``limit`` bytes).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LOG_CHUNK)] = 64 * 1024,
) -> LogChunk:
    """A byte range of the run's log (the engine's stdout and stderr): the tail, or from
    ``offset`` on, to follow a live run with ``next_offset``. Empty before the run starts."""
    runs.get_run(session, run_id)
    try:
        if offset is None:
            _, size = store.read(run_id, "log.txt", 0, 0)
            offset = max(0, size - limit)
        data, size = store.read(run_id, "log.txt", offset, offset + limit)
    except FileNotFoundError:
        return LogChunk(offset=0, next_offset=0, size=0, text="")
    return LogChunk(offset=offset, next_offset=offset + len(data), size=size,
                    text=data.decode(errors="replace"))


@router.post("/{id}/evaluations", response_model=Evaluation, status_code=202,
             responses=LIFECYCLE_ERRORS)
def evaluate_run(
    run_id: RunId, request: EvaluationCreate, session: SessionDep, settings: SettingsDep,
    store: ArtifactsDep,
) -> Evaluation:
    """Play ``episodes`` episodes of the run's last checkpoint in eval mode on a worker of
    the run's queue; the video (``video``) becomes the artifact ``eval-<id>.mp4`` or
    ``.gif``. 409 while the run has no checkpoint."""
    has_checkpoint = any(a.name == "checkpoint.pt" for a in store.list(run_id))
    row = evaluations.request_evaluation(
        session, run_id, request.episodes, request.video, settings, has_checkpoint
    )
    return Evaluation.from_row(row)


@router.get("/{id}/evaluations", response_model=list[Evaluation], responses=NOT_FOUND)
def list_run_evaluations(run_id: RunId, session: SessionDep) -> list[Evaluation]:
    """The run's evaluations, oldest first, with their returns once finished."""
    return [Evaluation.from_row(row) for row in evaluations.list_evaluations(session, run_id)]
