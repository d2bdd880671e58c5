"""Parameters and documented responses that several route modules share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from backend.schemas import ErrorMessage

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorMessage, "description": "Not found"}
}

MaxPoints = Annotated[
    int,
    Query(ge=2, le=10_000, description="Most points per series; the min/max envelope is kept."),
]

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorMessage, "description": "Not allowed in the run's current state"}
}

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorMessage, "description": "No, an unknown or a revoked token"},
    403: {"model": ErrorMessage, "description": "The token lacks the write scope"},
}
