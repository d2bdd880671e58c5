"""Parameters and documented responses that several route modules share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

from backend.schemas import MAX_ID, MAX_KEY_LENGTH, ErrorMessage, Text

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorMessage, "description": "Not found"}
}

#: A row id in the path: ids are 32-bit integers on PostgreSQL, so a larger one is a 422
#: here rather than an overflow in the database.
IdPath = Annotated[int, Path(alias="id", ge=1, le=MAX_ID)]
#: A metric key in the query.
MetricKeyQuery = Annotated[str, Query(min_length=1, max_length=MAX_KEY_LENGTH), Text]

MaxPoints = Annotated[
    int,
    Query(ge=2, le=10_000, description="Most points per series; the min/max envelope is kept."),
]

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorMessage, "description": "Not allowed in the run's current state"}
}

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorMessage, "description": "No, an unknown or a revoked token"},
    403: {"model": ErrorMessage, "description": "The token lacks the scope the request needs"},
}

#: Documented on every write (RLBOARD_AUTH=on).
RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorMessage,
        "description": "The token's rate limit of writes is used up",
        "headers": {"Retry-After": {"description": "Seconds until a write is allowed again",
                                    "schema": {"type": "integer"}}},
    }
}

#: Documented on every route taking a body: starlette's answer to bytes that are no JSON.
BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorMessage, "description": "The body is not valid JSON"},
    413: {"model": ErrorMessage, "description": "The body is larger than max_body_bytes"},
}
