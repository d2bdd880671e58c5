"""Live updates of an experiment as server-sent events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from backend.api.common import NOT_FOUND
from backend.api.deps import SessionDep
from backend.schemas import MAX_ID
from backend.services.events import experiment_events
from backend.services.experiments import get_experiment

router = APIRouter(tags=["events"])


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={**NOT_FOUND, 200: {"content": {"text/event-stream": {}}}},
)
def events(
    experiment_id: Annotated[int, Query(ge=1, le=MAX_ID)], request: Request, session: SessionDep
) -> StreamingResponse:
    """``run`` events (a run's new status or progress, every run at once on connect) and
    ``metrics`` events (``{run_id, key, steps, values, wall_times}`` of new points), polled
    about once a second, with a heartbeat comment every 15 s of silence."""
    get_experiment(session, experiment_id)
    stream = experiment_events(
        request.app.state.session_factory, experiment_id, request.is_disconnected
    )
    # No buffering by proxies (nginx), or events arrive in lumps.
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)
