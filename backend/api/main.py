"""All API routers under /api/v1."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from backend.api.common import AUTH_ERRORS, BAD_BODY, RATE_LIMITED
from backend.api.deps import READ_METHODS, authorize, authorize_admin, authorize_events
from backend.api.routes import (
    catalog,
    compare,
    events,
    experiments,
    exports,
    health,
    runs,
    tokens,
    workers,
)

api_router = APIRouter(prefix="/api/v1")
#: Every error body is an ErrorMessage (or FastAPI's 422); the routes' NOT_FOUND puts it in
#: the schema's components.
ERROR_MESSAGE_REF = "#/components/schemas/ErrorMessage"
# /health stays open (load balancers, `rlboard serve` waiting for itself); the rest needs a
# token when RLBOARD_AUTH=on, which the events stream also takes from the query.
api_router.include_router(health.router)
for module in (catalog, experiments, runs, compare, exports, workers):
    api_router.include_router(
        module.router, dependencies=[Depends(authorize)], responses=AUTH_ERRORS
    )
api_router.include_router(
    events.router, dependencies=[Depends(authorize_events)], responses=AUTH_ERRORS
)
api_router.include_router(
    tokens.router, dependencies=[Depends(authorize_admin)], responses=AUTH_ERRORS
)


def document_common_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (the app's OpenAPI) with the answers no route declares itself: 429 on every
    write of /api/v1, and 400 (no JSON) and 413 (too large) on every operation with a body."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path.startswith(api_router.prefix) and method.upper() not in READ_METHODS:
                operation["responses"].update(_documented(RATE_LIMITED))
            if "requestBody" in operation:
                operation["responses"].update(_documented(BAD_BODY))
    return schema


def _documented(responses: dict[int | str, dict[str, Any]]) -> dict[str, Any]:
    """FastAPI's ``responses`` entries as OpenAPI response objects."""
    return {
        str(code): {
            "description": response["description"],
            "content": {"application/json": {"schema": {"$ref": ERROR_MESSAGE_REF}}},
            **({"headers": response["headers"]} if "headers" in response else {}),
        }
        for code, response in responses.items()
    }
