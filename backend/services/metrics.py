"""Metric ingest and reading: a narrow points table plus per-series summaries kept on write.

Ingest is idempotent on (run, key, step): re-sent points are skipped by the primary key, and
only the points that were really inserted (RETURNING) update the summaries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import groupby, pairwise
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Double,
    String,
    bindparam,
    case,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backend.models import MetricPoint, MetricSeries, Run
from backend.schemas import MetricPointIn
from backend.services.runs import get_run



class Series(NamedTuple):
    """One run's metric in step order: steps (int64), values and wall times (float64)."""

    steps: np.ndarray
    values: np.ndarray
    wall_times: np.ndarray


# INSERT ... ON CONFLICT is dialect syntax; these are the databases rlboard supports.
_DIALECT_INSERTS: dict[str, Callable[..., Any]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


def ingest(session: Session, run_id: int, points: Sequence[MetricPointIn]) -> int:
    """Store ``points`` of run ``run_id``; returns how many were new. Commits.

    Also raises the run's ``steps_done`` to the largest step seen.
    """
    get_run(session, run_id)
    if not points:
        return 0
    dialect = session.get_bind().dialect.name
    insert = _DIALECT_INSERTS[dialect]
    points_table = MetricPoint.__table__
    if dialect == "postgresql":
        # One INSERT ... SELECT FROM unnest(arrays): four parameters instead of a VALUES list
        # of 5 000, whose SQL text psycopg spent most of the request parsing.
        source = func.unnest(
            bindparam("keys", [p.key for p in points], type_=ARRAY(String)),
            bindparam("steps", [p.step for p in points], type_=ARRAY(BigInteger)),
            bindparam("values", [p.value for p in points], type_=ARRAY(Double)),
            bindparam("wall_times", [p.wall_time for p in points], type_=ARRAY(Double)),
        ).table_valued("key", "step", "value", "wall_time").render_derived(name="batch")
        statement = insert(points_table).from_select(
            ["run_id", "key", "step", "value", "wall_time"],
            select(literal(run_id), *source.c),
        )
        parameters = None
    else:
        statement = insert(points_table)
        parameters = [{"run_id": run_id, **point.model_dump()} for point in points]
    inserted = session.execute(
        statement.on_conflict_do_nothing(index_elements=["run_id", "key", "step"]).returning(
            points_table.c.key, points_table.c.step, points_table.c.value
        ),
        parameters,
    ).all()
    if inserted:
        _update_summaries(session, run_id, inserted, insert)
    max_step = max(point.step for point in points)
    session.execute(
        update(Run).where(Run.id == run_id, Run.steps_done < max_step).values(steps_done=max_step)
    )
    session.commit()
    return len(inserted)


def _update_summaries(
    session: Session,
    run_id: int,
    inserted: Sequence[tuple[str, int, float]],
    insert: Callable[..., Any],
) -> None:
    """Fold newly inserted (key, step, value) rows into their series' summaries atomically."""
    rows = []
    for key, group in groupby(sorted(inserted), key=itemgetter(0)):
        steps_values = [(step, value) for _, step, value in group]
        values = [value for _, value in steps_values]
        last_step, last_value = steps_values[-1]  # sorted by step within the key
        rows.append(
            {
                "run_id": run_id,
                "key": key,
                "count": len(values),
                "last_step": last_step,
                "last_value": last_value,
                "min_value": min(values),
                "max_value": max(values),
            }
        )
    table = MetricSeries.__table__
    current, new = table.c, insert(table).excluded
    newer = new.last_step > current.last_step
    # Merged in the database, so two concurrent batches of one series both count.
    statement = (
        insert(table)
        .values(rows)
        .on_conflict_do_update(
            index_elements=["run_id", "key"],
            set_={
                "count": current["count"] + new["count"],
                "min_value": case(
                    (new.min_value < current.min_value, new.min_value), else_=current.min_value
                ),
                "max_value": case(
                    (new.max_value > current.max_value, new.max_value), else_=current.max_value
                ),
                "last_step": case((newer, new.last_step), else_=current.last_step),
                "last_value": case((newer, new.last_value), else_=current.last_value),
            },
        )
    )
    session.execute(statement)


def load_series(session: Session, run_ids: Sequence[int], key: str) -> dict[int, Series]:
    """Every point of ``key`` for each of ``run_ids``, in step order (empty for none)."""
    rows = session.execute(
        select(MetricPoint.run_id, MetricPoint.step, MetricPoint.value, MetricPoint.wall_time)
        .where(MetricPoint.run_id.in_(run_ids), MetricPoint.key == key)
        .order_by(MetricPoint.run_id, MetricPoint.step)
    ).all()
    empty = Series(np.array([], dtype=np.int64), np.array([]), np.array([]))
    series = dict.fromkeys(run_ids, empty)
    for run_id, group in groupby(rows, key=itemgetter(0)):
        _, steps, values, wall_times = zip(*group, strict=True)
        series[run_id] = Series(
            np.array(steps, dtype=np.int64),
            np.array(values, dtype=np.float64),
            np.array(wall_times, dtype=np.float64),
        )
    return series


def downsample(values: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` (>= 2) points that keep the series' min/max envelope.

    The first and last points stay; the points between are cut into equal buckets, each
    keeping its minimum and maximum, so a spike survives however long the series is.
    """
    if len(values) <= max_points:
        return np.arange(len(values))
    n_buckets = (max_points - 2) // 2
    edges = np.linspace(1, len(values) - 1, n_buckets + 1).astype(np.int64)
    keep = [0, len(values) - 1]
    for start, stop in pairwise(edges):
        bucket = values[start:stop]
        keep += [start + int(bucket.argmin()), start + int(bucket.argmax())]
    return np.unique(keep)


def series(
    session: Session, run_id: int, key: str, max_points: int
) -> tuple[list[int], list[float]]:
    """One run's ``key`` as (steps, values), downsampled to at most ``max_points``."""
    get_run(session, run_id)
    loaded = load_series(session, [run_id], key)[run_id]
    keep = downsample(loaded.values, max_points)
    return loaded.steps[keep].tolist(), loaded.values[keep].tolist()
