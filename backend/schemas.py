"""The REST API's request and response bodies.

The OpenAPI schema, and so the dashboard's generated TypeScript client, is built from these.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from backend import models
from backend.models import RUN_STATUSES, Queue, RunStatus
from engine.spec import ExperimentSpec

#: Points per ingest request, like MLflow's log-batch cap: a request stays well under a megabyte.
MAX_POINTS_PER_BATCH = 5000


def _fraction(steps_done: int, steps_total: int) -> float:
    return min(1.0, steps_done / steps_total) if steps_total else 0.0


class ErrorMessage(BaseModel):
    detail: str


class Health(BaseModel):
    status: str = Field(description='"ok" when the database answers, else "error".')
    version: str
    database: str = Field(description='"ok" or "error: <reason>".')
    broker: str = Field(description='"ok" or "error: <reason>".')


# --------------------------------------------------------------------------------------------
# Catalog


class AlgorithmInfo(BaseModel):
    name: str
    family: str
    params_schema: dict[str, Any] = Field(description="JSON Schema of algo.params.")
    defaults: dict[str, Any]


class Catalog(BaseModel):
    algorithms: list[AlgorithmInfo]
    samplers: list[str]
    runners: list[str]
    environments: list[str] = Field(description="Suggested ids; any gymnasium id is accepted.")
    spec_schema: dict[str, Any] = Field(description="JSON Schema of the experiment spec.")


# --------------------------------------------------------------------------------------------
# Experiments and runs


class ExperimentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    spec: ExperimentSpec
    tags: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    notes: str = Field("", max_length=20_000)


class Run(BaseModel):
    id: int
    experiment_id: int
    seed: int
    status: RunStatus
    queue: Queue
    task_id: str | None
    worker: str | None
    steps_done: int
    steps_total: int
    progress: float = Field(ge=0, le=1, description="steps_done / steps_total, capped at 1.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    error: str | None

    @classmethod
    def from_run(cls, run: models.Run) -> Run:
        return cls.model_validate(
            {**_columns(run), "progress": _fraction(run.steps_done, run.steps_total)}
        )


class ExperimentSummary(BaseModel):
    id: int
    name: str
    env_id: str
    algo: str
    tags: list[str]
    notes: str
    created_at: datetime
    status_counts: dict[RunStatus, int] = Field(description="Runs per status, every status.")
    steps_done: int = Field(description="Over all runs.")
    steps_total: int = Field(description="Over all runs.")
    progress: float = Field(ge=0, le=1, description="steps_done / steps_total, capped at 1.")

    @classmethod
    def from_experiment(cls, experiment: models.Experiment) -> ExperimentSummary:
        return cls.model_validate(_experiment_fields(experiment))


class ExperimentDetail(ExperimentSummary):
    spec: dict[str, Any] = Field(description="The resolved spec, every default filled in.")
    runs: list[Run]

    @classmethod
    def from_experiment(cls, experiment: models.Experiment) -> ExperimentDetail:
        return cls.model_validate(
            {
                **_experiment_fields(experiment),
                "runs": [Run.from_run(run) for run in experiment.runs],
            }
        )


class ExperimentList(BaseModel):
    items: list[ExperimentSummary]
    total: int


def _columns(row: models.Base) -> dict[str, Any]:
    """A table row's column values by name."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def _experiment_fields(experiment: models.Experiment) -> dict[str, Any]:
    """An experiment's columns (spec included) plus the roll-up of its runs."""
    runs: Sequence[models.Run] = experiment.runs
    counts = Counter(run.status for run in runs)
    steps_done = sum(min(run.steps_done, run.steps_total) for run in runs)
    steps_total = sum(run.steps_total for run in runs)
    return {
        **_columns(experiment),
        "status_counts": {status: counts[status] for status in RUN_STATUSES},
        "steps_done": steps_done,
        "steps_total": steps_total,
        "progress": _fraction(steps_done, steps_total),
    }


# --------------------------------------------------------------------------------------------
# Metrics and curves


class MetricPointIn(BaseModel):
    key: str = Field(min_length=1, max_length=250)
    step: int = Field(ge=0, le=2**63 - 1, description="Cumulative environment steps.")
    value: float = Field(allow_inf_nan=False)
    wall_time: float = Field(allow_inf_nan=False, description="Seconds since the run started.")


class MetricBatch(BaseModel):
    points: list[MetricPointIn] = Field(max_length=MAX_POINTS_PER_BATCH)


class IngestResult(BaseModel):
    received: int
    stored: int = Field(description="Points new to the server; re-sent points are not counted.")


class MetricHistory(BaseModel):
    key: str
    steps: list[int]
    values: list[float]


class RunCurve(BaseModel):
    run_id: int
    seed: int
    status: RunStatus
    steps: list[int]
    values: list[float]


class CurveAggregate(BaseModel):
    """Seed statistics on a common step grid; null where no seed covers a grid step."""

    steps: list[int]
    mean: list[float | None]
    min: list[float | None]
    max: list[float | None]
    n: list[int] = Field(description="How many seeds cover each grid step.")


class Curves(BaseModel):
    key: str
    runs: list[RunCurve]
    aggregate: CurveAggregate
