"""Exporting an experiment's metrics as CSV or JSON: raw points, streamed from the database,
or the seed aggregate of one metric."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.models import MetricPoint, Run
from backend.schemas import Band
from backend.services import stats
from backend.services.curves import experiment_curves
from backend.services.experiments import get_experiment

ExportFormat = Literal["csv", "json"]
ExportKind = Literal["raw", "aggregate"]

RAW_COLUMNS = ("run_id", "seed", "key", "step", "value", "wall_time")
AGGREGATE_COLUMNS = ("step", "n", "mean", "min", "max", "center", "lower", "upper")
#: Rows fetched per round trip (a server-side cursor on PostgreSQL) and written per chunk.
CHUNK_ROWS = 5000

MEDIA_TYPES: dict[ExportFormat, str] = {"csv": "text/csv", "json": "application/json"}


def raw_rows(
    session_factory: sessionmaker[Session], experiment_id: int, key: str | None
) -> Iterator[tuple[object, ...]]:
    """Every point of the experiment (of ``key``, or of every key) in ``RAW_COLUMNS`` order.

    Opens its own session: the rows are read while the response streams, after the request's
    session may be gone.
    """
    query = (
        select(
            MetricPoint.run_id, Run.seed, MetricPoint.key, MetricPoint.step,
            MetricPoint.value, MetricPoint.wall_time,
        )
        .join(Run, Run.id == MetricPoint.run_id)
        .where(Run.experiment_id == experiment_id)
        .order_by(MetricPoint.run_id, MetricPoint.key, MetricPoint.step)
        .execution_options(yield_per=CHUNK_ROWS)
    )
    if key is not None:
        query = query.where(MetricPoint.key == key)
    with session_factory() as session:
        yield from (tuple(row) for row in session.execute(query))


def aggregate_rows(
    session: Session,
    experiment_id: int,
    key: str,
    agg: stats.Aggregate,
    band: Band,
    max_points: int,
) -> list[tuple[object, ...]]:
    """The seed aggregate of ``key`` on its step grid, in ``AGGREGATE_COLUMNS`` order."""
    curves = experiment_curves(session, experiment_id, key, max_points, "step", agg, band)
    columns = curves.aggregate.model_dump()
    columns["step"] = columns.pop("steps")
    return list(zip(*(columns[column] for column in AGGREGATE_COLUMNS), strict=True))


def encode(
    rows: Iterable[tuple[object, ...]], columns: tuple[str, ...], fmt: ExportFormat
) -> Iterator[str]:
    """``rows`` as CSV with a header, or as a JSON array of objects, in chunks of text."""
    if fmt == "json":
        yield "["
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if fmt == "csv":
        writer.writerow(columns)
    for index, row in enumerate(rows):
        if fmt == "csv":
            writer.writerow(row)
        else:
            buffer.write(("," if index else "") + json.dumps(dict(zip(columns, row, strict=True))))
        if index % CHUNK_ROWS == CHUNK_ROWS - 1:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue() + ("]" if fmt == "json" else "")


def export(
    session: Session,
    session_factory: sessionmaker[Session],
    experiment_id: int,
    fmt: ExportFormat,
    kind: ExportKind,
    key: str | None,
    agg: stats.Aggregate = "mean",
    band: Band = "ci",
    max_points: int = 1000,
) -> Iterator[str]:
    """The export as chunks of text. NotFoundError is raised here, before anything streams."""
    get_experiment(session, experiment_id)
    if kind == "raw":
        return encode(raw_rows(session_factory, experiment_id, key), RAW_COLUMNS, fmt)
    rows = aggregate_rows(session, experiment_id, key or "return_mean", agg, band, max_points)
    return encode(rows, AGGREGATE_COLUMNS, fmt)
