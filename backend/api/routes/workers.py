"""Workers: the registry of worker processes, their queues, GPUs and current runs."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api.deps import SessionDep, SettingsDep
from backend.schemas import WorkerInfo
from backend.services import workers

router = APIRouter(prefix="/workers", tags=["workers"])


@router.get("", response_model=list[WorkerInfo])
def list_workers(session: SessionDep, settings: SettingsDep) -> list[WorkerInfo]:
    """Every worker that ever registered, by name: host, queues, GPUs, concurrency, current
    runs, and whether it is alive (not stopped, heartbeat within heartbeat_timeout_s)."""
    return workers.list_workers(session, settings.heartbeat_timeout_s)
