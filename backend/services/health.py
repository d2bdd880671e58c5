"""Liveness plus database and broker reachability."""

from __future__ import annotations

from importlib.metadata import version

from sqlalchemy import text
from sqlalchemy.orm import Session

from backend import broker
from backend.schemas import Health
from backend.settings import Settings


def check_health(session: Session, settings: Settings) -> Health:
    """Probe the database and the broker; a failure is reported, never raised."""
    try:
        session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # whatever the driver raises, the answer is "not reachable"
        database = f"error: {exc}"
    try:
        broker.check_broker(settings)
        broker_state = "ok"
    except Exception as exc:
        broker_state = f"error: {exc}"
    return Health(
        status="ok" if database == "ok" else "error",
        version=version("rlboard"),
        database=database,
        broker=broker_state,
    )
