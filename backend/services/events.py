"""Server-sent events of one experiment: run status and progress changes, and new points.

The stream polls the database (about once a second) and compares with what it has sent: a
run's (status, steps_done), and per series the last step sent against ``metric_series``'s
``last_step``, which ingest keeps current, so a quiet experiment costs two small queries a
poll. Points that arrive with a step below one already sent are not streamed (a re-sent
batch is skipped by ingest anyway).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.models import MetricPoint, MetricSeries, Run
from backend.schemas import Run as RunOut

POLL_INTERVAL_S = 1.0
HEARTBEAT_INTERVAL_S = 15.0
#: Most points per metrics event; a longer backlog follows in the next events.
MAX_POINTS_PER_EVENT = 5000


def format_event(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


class _Tracker:
    """What this stream has sent so far, and the queries that find what is new."""

    def __init__(self, experiment_id: int) -> None:
        self.experiment_id = experiment_id
        self.runs: dict[int, tuple[str, int]] = {}
        self.sent_steps: dict[tuple[int, str], int] = {}

    def poll(self, session: Session, send_points: bool) -> list[str]:
        """Events for what changed since the last poll; the first poll reports every run and
        only records where each series stands (its points are history, not news)."""
        events = []
        runs = session.scalars(
            select(Run).where(Run.experiment_id == self.experiment_id).order_by(Run.id)
        ).all()
        for run in runs:
            state = (run.status, run.steps_done)
            if self.runs.get(run.id) != state:
                self.runs[run.id] = state
                events.append(format_event("run", RunOut.from_run(run).model_dump(mode="json")))
        series = session.execute(
            select(MetricSeries.run_id, MetricSeries.key, MetricSeries.last_step).where(
                MetricSeries.run_id.in_(self.runs)
            )
        ).all()
        for run_id, key, last_step in series:
            sent = self.sent_steps.get((run_id, key), -1)
            if last_step <= sent:
                continue
            if not send_points:
                self.sent_steps[run_id, key] = last_step
                continue
            points = session.execute(
                select(MetricPoint.step, MetricPoint.value, MetricPoint.wall_time)
                .where(MetricPoint.run_id == run_id, MetricPoint.key == key)
                .where(MetricPoint.step > sent)
                .order_by(MetricPoint.step)
                .limit(MAX_POINTS_PER_EVENT)
            ).all()
            steps, values, wall_times = (list(column) for column in zip(*points, strict=True))
            self.sent_steps[run_id, key] = steps[-1]
            events.append(
                format_event(
                    "metrics",
                    {"run_id": run_id, "key": key, "steps": steps, "values": values,
                     "wall_times": wall_times},
                )
            )
        return events


async def experiment_events(
    session_factory: sessionmaker[Session],
    experiment_id: int,
    is_disconnected: Callable[[], Awaitable[bool]],
    poll_interval_s: float = POLL_INTERVAL_S,
    heartbeat_interval_s: float = HEARTBEAT_INTERVAL_S,
) -> AsyncIterator[str]:
    """The event stream: a ``run`` event per run at once, then ``run`` and ``metrics`` events
    as things change, and a heartbeat comment when nothing was sent for a while (proxies
    close idle connections). Ends when the client disconnects."""
    tracker = _Tracker(experiment_id)

    def poll(send_points: bool) -> list[str]:
        with session_factory() as session:
            return tracker.poll(session, send_points)

    send_points = False
    last_sent = time.monotonic()
    while not await is_disconnected():
        # The database is synchronous: poll in a thread so the event loop keeps serving.
        events = await asyncio.to_thread(poll, send_points)
        send_points = True
        if not events and time.monotonic() - last_sent >= heartbeat_interval_s:
            events = [": heartbeat\n\n"]
        for event in events:
            yield event
        if events:
            last_sent = time.monotonic()
        await asyncio.sleep(poll_interval_s)
