"""GET /health."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from backend.api.deps import SessionDep, SettingsDep
from backend.schemas import Health
from backend.services.health import check_health

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database is unreachable"}},
)
def health(session: SessionDep, settings: SettingsDep, response: Response) -> Health:
    """Liveness plus database and broker reachability; 503 when the database is down."""
    report = check_health(session, settings)
    if report.database != "ok":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return report
