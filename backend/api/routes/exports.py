"""Exporting an experiment's metrics as CSV or JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from backend.api.common import NOT_FOUND, IdPath
from backend.api.deps import SessionDep
from backend.schemas import MAX_KEY_LENGTH, Band, Text
from backend.services import export
from backend.services.stats import Aggregate

router = APIRouter(prefix="/experiments", tags=["experiments"])


@router.get(
    "/{id}/export",
    response_class=StreamingResponse,
    responses={**NOT_FOUND, 200: {"content": {"text/csv": {}, "application/json": {}}}},
)
def export_experiment(
    experiment_id: IdPath,
    request: Request,
    session: SessionDep,
    format: export.ExportFormat = "csv",
    kind: export.ExportKind = "raw",
    key: Annotated[
        Annotated[str, Text] | None,
        Query(min_length=1, max_length=MAX_KEY_LENGTH, description="raw: null for every key"),
    ] = None,
    agg: Aggregate = "mean",
    band: Band = "ci",
    max_points: Annotated[int, Query(ge=2, le=100_000)] = 1000,
) -> StreamingResponse:
    """Raw points (run_id, seed, key, step, value, wall_time), streamed; or the seed aggregate
    of ``key`` (default return_mean) on its step grid."""
    chunks = export.export(
        session,
        request.app.state.session_factory,
        experiment_id,
        format,
        kind,
        key,
        agg,
        band,
        max_points,
    )
    filename = f"rlboard-experiment-{experiment_id}-{kind}.{format}"
    return StreamingResponse(
        chunks,
        media_type=export.MEDIA_TYPES[format],
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )
