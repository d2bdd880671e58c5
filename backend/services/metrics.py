"""Metric ingest and reading: a narrow points table plus per-series and per-block summaries
kept on write; each block also keeps its points (PostgreSQL: arrays, SQLite: bytes), so long
curves never read the points table.

Ingest is idempotent on (run, key, step): re-sent points are skipped by the primary key, and
only the points that were really inserted (RETURNING) update the summaries. A new point joins
block ``(points of the series before the batch + its rank in the batch) // BLOCK_SIZE``: as
points arrive in step order (the worker sends them so), blocks are runs of consecutive points.
Points sent out of order, or two batches of one series at once, can make blocks overlap; the
readers check for that and fall back to the points.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from itertools import groupby, pairwise
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import case, func, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backend.db import retry_transient
from backend.models import BLOCK_SIZE, MetricBlock, MetricPoint, MetricSeries, Run
from backend.schemas import MetricPointIn
from backend.services.experiments import get_experiment
from backend.services.runs import get_run

#: SQLite stores a block's points as bytes of these (PostgreSQL as arrays).
_STEP_BYTES, _VALUE_BYTES = np.dtype("<i8"), np.dtype("<f8")


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

    Also raises the run's ``steps_done`` to the largest step seen. A batch whose connection
    is lost (a database restart) is sent again (:func:`backend.db.retry_transient`): being
    idempotent, it is stored once even if the first COMMIT went through.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    store = partial(_ingest_postgresql if postgres else _ingest_sqlite, session, run_id, points)
    return retry_transient(session, store, f"metrics of run {run_id}")


def _ingest_sqlite(session: Session, run_id: int, points: Sequence[MetricPointIn]) -> int:
    get_run(session, run_id)
    if not points:
        return 0
    insert = _DIALECT_INSERTS["sqlite"]
    points_table = MetricPoint.__table__
    inserted = session.execute(
        insert(points_table)
        .on_conflict_do_nothing(index_elements=["run_id", "key", "step"])
        .returning(points_table.c.key, points_table.c.step, points_table.c.value),
        [{"run_id": run_id, **point.model_dump()} for point in points],
    ).all()
    if inserted:
        counts_before = dict(
            session.execute(
                select(MetricSeries.key, MetricSeries.count).where(
                    MetricSeries.run_id == run_id,
                    MetricSeries.key.in_({key for key, _, _ in inserted}),
                )
            ).all()
        )
        _update_summaries(session, run_id, inserted, insert)
        _update_blocks(session, run_id, inserted, counts_before, insert)
    max_step = max(point.step for point in points)
    session.execute(
        update(Run).where(Run.id == run_id, Run.steps_done < max_step).values(steps_done=max_step)
    )
    session.commit()
    return len(inserted)


# The whole ingest in one statement (one round trip, then COMMIT): the batch arrives as four
# arrays (the keys once each, plus per point the key's index), the points are inserted
# skipping stored ones, only the rows really inserted (RETURNING) are folded into their
# series' and blocks' summaries, and the run's steps_done is raised. Data-modifying CTEs all
# run once whether or not the final SELECT reads them, and all read the table contents from
# before the statement (so ``counted`` is the series' count before this batch). For an unknown
# run nothing is inserted and ``run_found`` is false; a known run's row is locked FOR KEY
# SHARE, as a foreign key's check would, but once per batch rather than once per point.
# Summaries merge in the database (ON CONFLICT DO UPDATE), so two concurrent batches of one
# series both count. A block's arrays are appended to when the new points come after it (the
# usual case), else merged by step.
_INGEST_SQL = text(
    """
    WITH run AS (
        SELECT id FROM runs WHERE id = :run_id FOR KEY SHARE
    ), batch AS (
        SELECT (CAST(:keys AS text[]))[b.key_index] AS key, b.step, b.value, b.wall_time
        FROM unnest(
            CAST(:key_indexes AS integer[]), CAST(:steps AS bigint[]),
            CAST(:values AS float8[]), CAST(:wall_times AS float8[])
        ) AS b(key_index, step, value, wall_time)
    ), inserted AS (
        INSERT INTO metric_points (run_id, key, step, value, wall_time)
        SELECT run.id, batch.key, batch.step, batch.value, batch.wall_time FROM run, batch
        ON CONFLICT (run_id, key, step) DO NOTHING
        RETURNING key, step, value
    ), folded AS (
        SELECT key, count(*) AS count, max(step) AS last_step,
               (array_agg(value ORDER BY step DESC))[1] AS last_value,
               min(value) AS min_value, max(value) AS max_value
        FROM inserted GROUP BY key
    ), summaries AS (
        INSERT INTO metric_series AS current
            (run_id, key, count, last_step, last_value, min_value, max_value)
        SELECT :run_id, key, count, last_step, last_value, min_value, max_value FROM folded
        ON CONFLICT (run_id, key) DO UPDATE SET
            count = current.count + excluded.count,
            min_value = LEAST(current.min_value, excluded.min_value),
            max_value = GREATEST(current.max_value, excluded.max_value),
            last_step = GREATEST(current.last_step, excluded.last_step),
            last_value = CASE WHEN excluded.last_step > current.last_step
                              THEN excluded.last_value ELSE current.last_value END
        RETURNING 1
    ), counted AS (
        SELECT key, count FROM metric_series WHERE run_id = :run_id
    ), ranked AS (
        SELECT key, step, value,
               (coalesce(counted.count, 0) - 1
                + row_number() OVER (PARTITION BY key ORDER BY step)) / :block_size AS block
        FROM inserted LEFT JOIN counted USING (key)
    ), blocked AS (
        SELECT key, block, count(*) AS count,
               min(step) AS first_step, (array_agg(value ORDER BY step))[1] AS first_value,
               max(step) AS last_step, (array_agg(value ORDER BY step DESC))[1] AS last_value,
               (array_agg(step ORDER BY value, step))[1] AS min_step, min(value) AS min_value,
               (array_agg(step ORDER BY value DESC, step))[1] AS max_step,
               max(value) AS max_value,
               array_agg(step ORDER BY step) AS step_array,
               array_agg(value ORDER BY step) AS value_array
        FROM ranked GROUP BY key, block
    ), blocks AS (
        INSERT INTO metric_blocks AS current
            (run_id, key, block, count, first_step, first_value, last_step, last_value,
             min_step, min_value, max_step, max_value, step_array, value_array)
        SELECT :run_id, key, block, count, first_step, first_value, last_step, last_value,
               min_step, min_value, max_step, max_value, step_array, value_array
        FROM blocked
        ON CONFLICT (run_id, key, block) DO UPDATE SET
            count = current.count + excluded.count,
            first_step = LEAST(current.first_step, excluded.first_step),
            first_value = CASE WHEN excluded.first_step < current.first_step
                               THEN excluded.first_value ELSE current.first_value END,
            last_step = GREATEST(current.last_step, excluded.last_step),
            last_value = CASE WHEN excluded.last_step > current.last_step
                              THEN excluded.last_value ELSE current.last_value END,
            min_step = CASE WHEN (excluded.min_value, excluded.min_step)
                                 < (current.min_value, current.min_step)
                            THEN excluded.min_step ELSE current.min_step END,
            min_value = LEAST(current.min_value, excluded.min_value),
            max_step = CASE WHEN (excluded.max_value, -excluded.max_step)
                                 > (current.max_value, -current.max_step)
                            THEN excluded.max_step ELSE current.max_step END,
            max_value = GREATEST(current.max_value, excluded.max_value),
            step_array = CASE WHEN excluded.first_step > current.last_step
                THEN current.step_array || excluded.step_array
                ELSE ARRAY(SELECT s FROM unnest(current.step_array || excluded.step_array) AS s
                           ORDER BY s) END,
            value_array = CASE WHEN excluded.first_step > current.last_step
                THEN current.value_array || excluded.value_array
                ELSE ARRAY(SELECT v FROM unnest(current.step_array || excluded.step_array,
                                                current.value_array || excluded.value_array)
                                         AS merged(s, v) ORDER BY s) END
        RETURNING 1
    ), progress AS (
        UPDATE runs SET steps_done = :max_step
        WHERE id = :run_id AND steps_done < :max_step
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM run) AS run_found, (SELECT count(*) FROM inserted) AS stored
    """
)


def _array_literal(items: Sequence[object]) -> str:
    """A PostgreSQL array literal of numbers: parsed by the server in one go, where psycopg
    would dump (and regex-check) each element. ``repr`` of a float round-trips exactly."""
    return "{" + ",".join(map(repr, items)) + "}"


def _ingest_postgresql(session: Session, run_id: int, points: Sequence[MetricPointIn]) -> int:
    if not points:
        get_run(session, run_id)
        return 0
    key_index: dict[str, int] = {}
    key_indexes = [key_index.setdefault(p.key, len(key_index) + 1) for p in points]
    steps = [p.step for p in points]
    found, stored = session.execute(
        _INGEST_SQL,
        {
            "run_id": run_id,
            "keys": list(key_index),
            "key_indexes": _array_literal(key_indexes),
            "steps": _array_literal(steps),
            "values": _array_literal([p.value for p in points]),
            "wall_times": _array_literal([p.wall_time for p in points]),
            "max_step": max(steps),
            "block_size": BLOCK_SIZE,
        },
    ).one()
    if not found:
        session.rollback()
        get_run(session, run_id)  # raises NotFoundError
    session.commit()
    return stored


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


def _update_blocks(
    session: Session,
    run_id: int,
    inserted: Sequence[tuple[str, int, float]],
    counts_before: dict[str, int],
    insert: Callable[..., Any],
) -> None:
    """Fold newly inserted (key, step, value) rows into their blocks, as the PostgreSQL SQL;
    ``counts_before``: each series' point count before this batch.

    The summaries merge in the statement. A block's points (bytes) are merged here with the
    ones it already holds: the INSERT of the points took SQLite's write lock, so no other
    writer can change the block in between. Only blocks below ``counts_before / BLOCK_SIZE``
    can exist already (usually just the series' last, partly filled one).
    """
    rows = []
    for key, group in groupby(sorted(inserted), key=itemgetter(0)):
        ranked = enumerate(((step, value) for _, step, value in group), counts_before.get(key, 0))
        for block, members in groupby(ranked, key=lambda item: item[0] // BLOCK_SIZE):
            points = [point for _, point in members]  # in step order
            low = min(points, key=lambda point: (point[1], point[0]))
            high = min(points, key=lambda point: (-point[1], point[0]))
            rows.append(
                {
                    "run_id": run_id, "key": key, "block": block, "count": len(points),
                    "first_step": points[0][0], "first_value": points[0][1],
                    "last_step": points[-1][0], "last_value": points[-1][1],
                    "min_step": low[0], "min_value": low[1],
                    "max_step": high[0], "max_value": high[1],
                    "step_array": [step for step, _ in points],
                    "value_array": [value for _, value in points],
                }
            )
    may_exist = [
        (row["key"], row["block"])
        for row in rows
        if row["block"] * BLOCK_SIZE < counts_before.get(row["key"], 0)
    ]
    stored = {}
    if may_exist:
        stored = {
            (key, block): (steps, values)
            for key, block, steps, values in session.execute(
                select(
                    MetricBlock.key, MetricBlock.block,
                    MetricBlock.step_array, MetricBlock.value_array,
                ).where(
                    MetricBlock.run_id == run_id,
                    tuple_(MetricBlock.key, MetricBlock.block).in_(may_exist),
                )
            )
        }
    for row in rows:
        old = stored.get((row["key"], row["block"]), (b"", b""))
        row["step_array"], row["value_array"] = _merged_points(
            old, (row["step_array"], row["value_array"])
        )
    table = MetricBlock.__table__
    current, new = table.c, insert(table).excluded
    lower = (new.min_value < current.min_value) | (
        (new.min_value == current.min_value) & (new.min_step < current.min_step)
    )
    higher = (new.max_value > current.max_value) | (
        (new.max_value == current.max_value) & (new.max_step < current.max_step)
    )
    earlier, later = new.first_step < current.first_step, new.last_step > current.last_step
    session.execute(
        insert(table)
        .values(rows)
        .on_conflict_do_update(
            index_elements=["run_id", "key", "block"],
            set_={
                "count": current["count"] + new["count"],
                "first_step": case((earlier, new.first_step), else_=current.first_step),
                "first_value": case((earlier, new.first_value), else_=current.first_value),
                "last_step": case((later, new.last_step), else_=current.last_step),
                "last_value": case((later, new.last_value), else_=current.last_value),
                "min_step": case((lower, new.min_step), else_=current.min_step),
                "min_value": case((lower, new.min_value), else_=current.min_value),
                "max_step": case((higher, new.max_step), else_=current.max_step),
                "max_value": case((higher, new.max_value), else_=current.max_value),
                # The merged points, computed above.
                "step_array": new.step_array,
                "value_array": new.value_array,
            },
        )
    )


def _merged_points(
    stored: tuple[bytes | None, bytes | None], new: tuple[list[int], list[float]]
) -> tuple[bytes | None, bytes | None]:
    """A SQLite block's points (steps, values as bytes) with ``new`` ones merged in by step;
    unknown (None) stays unknown: a block that points sent out of order had before 0004,
    which is never read."""
    if stored[0] is None or stored[1] is None:
        return None, None
    steps = np.concatenate([np.frombuffer(stored[0], _STEP_BYTES), np.array(new[0], _STEP_BYTES)])
    values = np.concatenate(
        [np.frombuffer(stored[1], _VALUE_BYTES), np.array(new[1], _VALUE_BYTES)]
    )
    order = np.argsort(steps, kind="stable")  # already sorted when appended, as usual
    return steps[order].tobytes(), values[order].tobytes()


class Extremes(NamedTuple):
    """One run's series cut into buckets by step: per non-empty bucket, in bucket order, its
    first, last, lowest and highest point as (step, value). Ties of value go to the earliest
    step, as ``np.argmin``/``np.argmax`` on the series in step order."""

    bucket: np.ndarray
    first_step: np.ndarray
    first_value: np.ndarray
    last_step: np.ndarray
    last_value: np.ndarray
    min_step: np.ndarray
    min_value: np.ndarray
    max_step: np.ndarray
    max_value: np.ndarray


class SeriesRange(NamedTuple):
    """A stored series' point count, its first and last step and its last value."""

    count: int
    first_step: int
    last_step: int
    last_value: float


#: Steps below this are exact as float8, so the SQL can pair a step with a value in one array.
_EXACT_FLOAT_STEPS = 2**53

# Per (run, bucket) with bucket = width_bucket(step, edges) (np.searchsorted(edges, step,
# "right")): the first and last point by step, and the lowest and highest by value with ties
# to the earliest step. One pass over the primary key's range of each run; JIT is off because
# compiling this plan costs more (about 40 ms) than it saves.
_EXTREMES_SQL = text(
    """
    SELECT run_id, width_bucket(step, CAST(:edges AS bigint[])) AS bucket,
           min(ARRAY[step::float8, value]), max(ARRAY[step::float8, value]),
           min(ARRAY[value, step::float8]), max(ARRAY[value, -step::float8])
    FROM metric_points
    WHERE run_id = ANY(CAST(:run_ids AS integer[])) AND key = :key
    GROUP BY run_id, bucket
    ORDER BY run_id, bucket
    """
)


def series_ranges(session: Session, run_ids: Sequence[int], key: str) -> dict[int, SeriesRange]:
    """Count, first and last step and last value of ``key`` for each of ``run_ids`` that has
    points.

    From the summaries plus one primary-key lookup per run: no scan of the points.
    """
    first_step = (
        select(func.min(MetricPoint.step))
        .where(MetricPoint.run_id == MetricSeries.run_id, MetricPoint.key == key)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            MetricSeries.run_id, MetricSeries.count, first_step,
            MetricSeries.last_step, MetricSeries.last_value,
        ).where(MetricSeries.run_id.in_(run_ids), MetricSeries.key == key)
    ).all()
    return {
        run_id: SeriesRange(count, first, last, last_value)
        for run_id, count, first, last, last_value in rows
        if count and first is not None
    }


def experiment_keys(session: Session, experiment_id: int) -> list[str]:
    """Every metric key that a run of experiment ``experiment_id`` has logged, sorted; from
    the series summaries."""
    get_experiment(session, experiment_id)
    return list(
        session.scalars(
            select(MetricSeries.key)
            .join(Run, Run.id == MetricSeries.run_id)
            .where(Run.experiment_id == experiment_id)
            .distinct()
            .order_by(MetricSeries.key)
        )
    )


def bucket_extremes(
    session: Session, run_ids: Sequence[int], key: str, edges: np.ndarray
) -> dict[int, Extremes]:
    """Each run's :class:`Extremes` of ``key`` over the buckets that ``edges`` (ascending
    steps) cut: bucket ``i`` holds ``edges[i-1] <= step < edges[i]``.

    PostgreSQL computes them in SQL, returning a few rows per bucket instead of every point;
    other databases (SQLite) load the points and compute the same in numpy.
    """
    if not run_ids:
        return {}
    session_dialect = session.get_bind().dialect.name
    if session_dialect == "postgresql" and len(edges) and int(edges[-1]) < _EXACT_FLOAT_STEPS:
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        rows = session.execute(
            _EXTREMES_SQL,
            {"edges": [int(edge) for edge in edges], "run_ids": list(run_ids), "key": key},
        ).all()
        extremes = {}
        for run_id, group in groupby(rows, key=itemgetter(0)):
            _, bucket, first, last, low, high = zip(*group, strict=True)
            first_, last_ = np.array(first), np.array(last)
            low_, high_ = np.array(low), np.array(high)
            extremes[run_id] = Extremes(
                np.array(bucket, dtype=np.int64),
                first_[:, 0].astype(np.int64), first_[:, 1],
                last_[:, 0].astype(np.int64), last_[:, 1],
                low_[:, 1].astype(np.int64), low_[:, 0],
                (-high_[:, 1]).astype(np.int64), high_[:, 0],
            )
        return extremes
    loaded = load_series(session, run_ids, key)
    return {
        run_id: extremes_of(series, edges)
        for run_id, series in loaded.items()
        if len(series.steps)
    }


def extremes_of(series: Series, edges: np.ndarray) -> Extremes:
    """:class:`Extremes` of a loaded (non-empty) series, as :func:`bucket_extremes`."""
    buckets = np.searchsorted(edges, series.steps, side="right")
    bucket, starts = np.unique(buckets, return_index=True)
    stops = np.append(starts[1:], len(buckets))
    steps, values = series.steps, series.values
    lows = [start + int(values[start:stop].argmin()) for start, stop in zip(starts, stops, strict=True)]
    highs = [start + int(values[start:stop].argmax()) for start, stop in zip(starts, stops, strict=True)]
    return Extremes(
        bucket.astype(np.int64),
        steps[starts], values[starts],
        steps[stops - 1], values[stops - 1],
        steps[lows], values[lows],
        steps[highs], values[highs],
    )


def envelope(extremes: Extremes, n_edges: int, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` (>= 2) points (steps, values) of a series from its extremes over
    ``n_edges`` edges: its first and last point, and per display bucket (consecutive edge
    buckets merged into ``(max_points - 2) // 2``) the lowest and highest point, so a spike
    survives however long the series is.
    """
    n_display = max(1, (max_points - 2) // 2)
    n_intervals = max(1, n_edges - 1)
    # Edge bucket 1..n_edges-1 are the intervals; n_edges holds only the last edge's step.
    display = np.minimum((extremes.bucket - 1).clip(0) * n_display // n_intervals, n_display - 1)
    low = np.lexsort((extremes.min_step, extremes.min_value, display))
    high = np.lexsort((extremes.max_step, -extremes.max_value, display))
    _, low_first = np.unique(display[low], return_index=True)
    _, high_first = np.unique(display[high], return_index=True)
    low, high = low[low_first], high[high_first]
    steps = np.concatenate(
        [extremes.first_step[:1], extremes.min_step[low], extremes.max_step[high], extremes.last_step[-1:]]
    )
    values = np.concatenate(
        [extremes.first_value[:1], extremes.min_value[low], extremes.max_value[high], extremes.last_value[-1:]]
    )
    steps, keep = np.unique(steps, return_index=True)
    return steps, values[keep]


def boundary_series(extremes: Extremes) -> Series:
    """The first and last point of every bucket as a series (wall times unknown: NaN).

    When the buckets are the intervals of a grid, linear interpolation of this series on the
    grid equals that of the full series: the stored points on either side of a grid value are
    the last point of one bucket and the first of a later one.
    """
    steps = np.concatenate([extremes.first_step, extremes.last_step])
    values = np.concatenate([extremes.first_value, extremes.last_value])
    steps, keep = np.unique(steps, return_index=True)
    return Series(steps, values[keep], np.full(len(steps), np.nan))


def display_buckets(max_points: int) -> int:
    """Buckets of a drawn curve of ``max_points``: each gives its lowest and highest point, and
    the series' first and last point come on top."""
    return max(1, (max_points - 2) // 2)


def uses_blocks(count: int, max_points: int) -> bool:
    """Whether a series of ``count`` points is drawn from its blocks: when it has at least
    one block per display bucket, so that a curve from blocks is as fine as asked."""
    return count >= BLOCK_SIZE * display_buckets(max_points)


_BLOCK_COLUMNS = (
    "block", "first_step", "first_value", "last_step", "last_value",
    "min_step", "min_value", "max_step", "max_value",
)

# One row per run with each block column as an array: the driver loads a few binary arrays
# much faster than one row per block. Not ordered by block (that would sort once per
# column): the reader sorts.
_BLOCKS_SQL = f"""
    SELECT run_id, {", ".join(f"array_agg({name})" for name in _BLOCK_COLUMNS)}
    FROM metric_blocks WHERE run_id = ANY(%s) AND key = %s
    GROUP BY run_id
"""

# _BLOCKS_SQL plus, in the same pass over the blocks, for every grid step g strictly inside a
# block (first_step < g < last_step) the block's points on either side of g:
# width_bucket(g, step_array) is the index of the last step <= g (a binary search), and
# g < last_step, so the next one exists. The grid steps k of a block are found by binary
# search too: grid[k] > first_step and grid[k] <= last_step - 1. A block without one keeps a
# row with k null (LEFT JOIN); each block's summary is taken from its first row only.
# A block's row (64 points: about 1.1 kB) stays under PostgreSQL's TOAST threshold, so its
# arrays are stored inline and uncompressed and each subscript is a plain offset.
_BLOCKS_ON_GRID_SQL = f"""
    SELECT b.run_id,
           {", ".join(
               f"array_agg(b.{name}) FILTER (WHERE k IS NULL OR k = k0)" for name in _BLOCK_COLUMNS
           )},
           array_agg(b.step_array[j]) FILTER (WHERE j IS NOT NULL)
               || array_agg(b.step_array[j + 1]) FILTER (WHERE j IS NOT NULL),
           array_agg(b.value_array[j]) FILTER (WHERE j IS NOT NULL)
               || array_agg(b.value_array[j + 1]) FILTER (WHERE j IS NOT NULL)
    FROM metric_blocks AS b
    CROSS JOIN LATERAL (
        SELECT width_bucket(b.first_step, %(grid)s) + 1 AS k0,
               width_bucket(b.last_step - 1, %(grid)s) AS k1
    ) AS inside
    LEFT JOIN LATERAL generate_series(k0, k1) AS k ON true
    LEFT JOIN LATERAL width_bucket((%(grid)s)[k], b.step_array) AS j ON true
    WHERE b.run_id = ANY(%(run_ids)s) AND b.key = %(key)s
    GROUP BY b.run_id
"""


def _driver(session: Session) -> Any:
    """The session's DBAPI connection: for reads whose rows SQLAlchemy would only slow down."""
    return session.connection().connection.driver_connection


def _sqlite_blocks(
    session: Session, run_ids: Sequence[int], key: str, points: bool
) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
    """SQLite: per run, its blocks' ``_BLOCK_COLUMNS`` and, with ``points``, their points'
    bytes (steps, values), each column a tuple in block order. One query for all runs."""
    names = ", ".join((*_BLOCK_COLUMNS, *(("step_array", "value_array") if points else ())))
    marks = ", ".join("?" * len(run_ids))
    rows = _driver(session).execute(
        f"SELECT run_id, {names} FROM metric_blocks "
        f"WHERE run_id IN ({marks}) AND key = ? ORDER BY run_id, block",
        (*run_ids, key),
    ).fetchall()
    for run_id, group in groupby(rows, key=itemgetter(0)):
        yield run_id, list(zip(*group, strict=True))[1:]


def _extremes(columns: Sequence[Sequence[Any]]) -> Extremes | None:
    """One run's blocks as :class:`Extremes` in block order (``bucket`` is the block number)
    from their ``_BLOCK_COLUMNS`` in any order; None when the blocks overlap (points sent out
    of order): such a run is read from its points."""
    block = np.array(columns[0], dtype=np.int64)
    order = np.argsort(block)
    found = Extremes(
        block[order],
        *(
            np.array(column, dtype=np.int64 if name.endswith("step") else np.float64)[order]
            for name, column in zip(_BLOCK_COLUMNS[1:], columns[1:], strict=True)
        ),
    )
    return found if np.all(found.first_step[1:] > found.last_step[:-1]) else None


def load_blocks(session: Session, run_ids: Sequence[int], key: str) -> dict[int, Extremes]:
    """Each run's block summaries of ``key`` (:func:`_extremes`), for the runs whose blocks do
    not overlap."""
    if session.get_bind().dialect.name == "postgresql":
        rows = _driver(session).execute(_BLOCKS_SQL, (list(run_ids), key), binary=True)
        per_run = [(run_id, columns) for run_id, *columns in rows.fetchall()]
    else:
        per_run = list(_sqlite_blocks(session, run_ids, key, points=False))
    found = {run_id: _extremes(columns) for run_id, columns in per_run}
    return {run_id: blocks for run_id, blocks in found.items() if blocks is not None}


def load_blocks_on_grid(
    session: Session, run_ids: Sequence[int], key: str, grid: np.ndarray
) -> tuple[dict[int, Extremes], dict[int, Series]]:
    """Per run, :func:`load_blocks` and the points that linear interpolation on ``grid``
    needs, in one query: interpolating them on ``grid`` gives exactly what the full series
    would (wall times NaN).

    PostgreSQL returns every block's first and last point plus the two points around each
    grid step inside a block, found in the blocks' arrays. SQLite returns the blocks' points
    whole (their bytes): reading its file in process costs less than picking them out.
    """
    blocks: dict[int, Extremes] = {}
    series: dict[int, Series] = {}
    if not run_ids:
        return blocks, series
    if session.get_bind().dialect.name == "postgresql":
        # The planner overestimates the rows (a set-returning function per block) and would
        # JIT-compile the plan, which costs more than the query.
        session.execute(text("SET LOCAL jit = off"))
        rows = _driver(session).execute(
            _BLOCKS_ON_GRID_SQL,
            {"grid": grid.tolist(), "run_ids": list(run_ids), "key": key},
            binary=True,
        ).fetchall()
        for run_id, *columns, inside_steps, inside_values in rows:
            found = _extremes(columns)
            if found is None:
                continue
            blocks[run_id] = found
            # Both arrays are null for a run without a grid step inside its blocks.
            inside_steps = np.array(inside_steps or [], dtype=np.int64)
            inside_values = np.array(inside_values or [], dtype=np.float64)
            steps = np.concatenate([found.first_step, found.last_step, inside_steps])
            values = np.concatenate([found.first_value, found.last_value, inside_values])
            steps, keep = np.unique(steps, return_index=True)
            series[run_id] = Series(steps, values[keep], np.full(len(steps), np.nan))
        return blocks, series
    for run_id, (*columns, step_bytes, value_bytes) in _sqlite_blocks(
        session, run_ids, key, points=True
    ):
        found = _extremes(columns)
        # Null bytes: a block that a series sent out of order had before 0004.
        if found is None or None in step_bytes or None in value_bytes:
            continue
        blocks[run_id] = found
        steps = np.frombuffer(b"".join(step_bytes), _STEP_BYTES)
        series[run_id] = Series(
            steps,
            np.frombuffer(b"".join(value_bytes), _VALUE_BYTES),
            np.full(len(steps), np.nan),
        )
    return blocks, series


def display_extremes(blocks: Extremes, grid: np.ndarray, max_points: int) -> Extremes:
    """``blocks`` with ``bucket`` set to 1 + the display bucket (of ``display_buckets``, evenly
    cutting ``grid[0]..grid[-1]``) of each block's first step, for
    ``envelope(..., display_buckets(max_points) + 1, max_points)``.

    Every point is in one block and every block in one display bucket, so each display
    bucket's lowest and highest point are exact (its edges fall between blocks).
    """
    n_display = display_buckets(max_points)
    edges = np.linspace(grid[0], grid[-1], n_display + 1)
    display = np.searchsorted(edges, blocks.first_step, side="right").clip(1, n_display)
    return blocks._replace(bucket=display.astype(np.int64))


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
    Used where the whole series is loaded anyway (x=wall_time curves).
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


def step_grid(first: int, last: int, max_points: int) -> np.ndarray:
    """Up to ``max_points`` integer steps evenly spaced from ``first`` to ``last``."""
    return np.linspace(first, last, min(max_points, int(last - first) + 1)).round().astype(np.int64)


def series(
    session: Session, run_id: int, key: str, max_points: int
) -> tuple[list[int], list[float]]:
    """One run's ``key`` as (steps, values), downsampled to at most ``max_points``.

    A series that fits is returned whole; a longer one is bucketed in the database
    (:func:`bucket_extremes`) and only its envelope travels.
    """
    get_run(session, run_id)
    found = series_ranges(session, [run_id], key).get(run_id)
    if found is None:
        return [], []
    if found.count <= max_points:
        loaded = load_series(session, [run_id], key)[run_id]
        return loaded.steps.tolist(), loaded.values.tolist()
    edges = step_grid(found.first_step, found.last_step, max_points)
    blocks = load_blocks(session, [run_id], key) if uses_blocks(found.count, max_points) else {}
    if run_id in blocks:
        extremes = display_extremes(blocks[run_id], edges, max_points)
        steps, values = envelope(extremes, display_buckets(max_points) + 1, max_points)
        return steps.tolist(), values.tolist()
    extremes = bucket_extremes(session, [run_id], key, edges)[run_id]
    steps, values = envelope(extremes, len(edges), max_points)
    return steps.tolist(), values.tolist()
