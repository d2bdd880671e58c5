"""Comparing experiments: statistics as JSON, or a downloadable HTML report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from backend.api.common import NOT_FOUND
from backend.api.deps import SessionDep
from backend.schemas import MAX_COMPARED, MAX_KEY_LENGTH, CompareRequest, Comparison, Text
from backend.services import compare as compare_service
from backend.services.report import build_report_html, report_filename

router = APIRouter(prefix="/compare", tags=["compare"])


@router.post("", response_model=Comparison, responses=NOT_FOUND)
def compare(body: CompareRequest, session: SessionDep) -> Comparison:
    """Final scores (mean of the last K points) per experiment with IQM and its 95% bootstrap
    interval, probability of improvement for every ordered pair, and IQM curves on one grid."""
    return compare_service.compare(
        session, body.experiment_ids, body.key, body.last_k, body.max_points
    )


# The default (JSON) response class, so that the errors are documented as the JSON they are.
@router.get(
    "/report",
    response_model=None,
    responses={**NOT_FOUND, 200: {"content": {"text/html": {}}, "description": "The report"}},
)
def compare_report(
    session: SessionDep,
    ids: Annotated[
        str,
        Query(
            pattern=r"^\d{1,10}(,\d{1,10})*$",
            max_length=11 * MAX_COMPARED,
            description="Experiment ids, comma-separated: 1,2",
        ),
    ],
    key: Annotated[Annotated[str, Text] | None, Query(min_length=1, max_length=MAX_KEY_LENGTH)] = None,
    last_k: Annotated[int, Query(ge=1, le=10_000)] = 5,
) -> HTMLResponse:
    """The comparison as one self-contained HTML file (works offline), as an attachment."""
    try:
        request = CompareRequest(
            experiment_ids=[int(id_) for id_ in ids.split(",")], key=key, last_k=last_k
        )
    except ValidationError as exc:  # too few or many ids, or duplicates: 422 as for the body
        raise RequestValidationError(
            [{**error, "loc": ("query", "ids", *error["loc"][1:])}
             for error in exc.errors(include_url=False)]
        ) from exc
    html = build_report_html(session, request.experiment_ids, request.key, request.last_k)
    filename = report_filename(request.experiment_ids)
    return HTMLResponse(html, headers={"Content-Disposition": f"attachment; filename={filename}"})
