"""All API routers under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from backend.api.common import AUTH_ERRORS
from backend.api.deps import authorize, authorize_events
from backend.api.routes import (
    catalog,
    compare,
    events,
    experiments,
    exports,
    health,
    runs,
    workers,
)

api_router = APIRouter(prefix="/api/v1")
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
