"""The REST API's request and response bodies.

The OpenAPI schema, and so the dashboard's generated TypeScript client, is built from these.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from backend import models
from backend.models import RUN_STATUSES, AttemptKind, Queue, RunStatus, TokenScope
from backend.services.stats import Aggregate
from engine.spec import ExperimentSpec
from engine.spec.base import check_json, check_text

#: Points per ingest request, like MLflow's log-batch cap: a request stays well under a megabyte.
MAX_POINTS_PER_BATCH = 5000
#: The largest row id: ids are 32-bit integers on PostgreSQL.
MAX_ID = 2**31 - 1
#: The longest metric key.
MAX_KEY_LENGTH = 250

#: Experiments one comparison may take.
MAX_COMPARED = 20

DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
#: Text a database column can store (no NUL characters).
Text = AfterValidator(check_text)
#: Free-form JSON values (sweep values, clone changes) within engine.spec.base's bounds.
BoundedJson = Annotated[Any, AfterValidator(check_json)]


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


class PresetInfo(BaseModel):
    name: str = Field(description="Submit it as the spec, or load it with preset:NAME.")
    algorithm: str
    env_id: str
    spec: dict[str, Any] = Field(description="The preset's resolved experiment spec.")


class Catalog(BaseModel):
    algorithms: list[AlgorithmInfo]
    samplers: list[str]
    runners: list[str]
    environments: list[str] = Field(description="Suggested ids; any gymnasium id is accepted.")
    presets: list[PresetInfo] = Field(
        description="The engine's reference experiments (engine/presets) that validate."
    )
    spec_schema: dict[str, Any] = Field(description="JSON Schema of the experiment spec.")


# --------------------------------------------------------------------------------------------
# Experiments and runs


Tags = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100), Text]], Field(max_length=50)
]
Notes = Annotated[str, Field(max_length=20_000), Text]
SpecPath = Annotated[
    str, Field(min_length=1, max_length=200, description="e.g. algo.params.discount"), Text
]
#: Swept paths, and values per path; the runs (product x seeds) are bounded by the setting
#: max_runs_per_experiment.
MAX_SWEEP_PATHS = 32
MAX_SWEEP_VALUES = 1000
Sweep = Annotated[
    dict[SpecPath, Annotated[list[BoundedJson], Field(min_length=1, max_length=MAX_SWEEP_VALUES)]],
    Field(
        max_length=MAX_SWEEP_PATHS,
        description="Grid over spec parameters: dotted path -> values. One run per "
        "combination and seed, each with its own resolved spec.",
        examples=[{"algo.params.learning_rate": [1e-3, 3e-4], "sampler.batch_B": [8, 16]}],
    ),
]


class ExperimentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    spec: ExperimentSpec
    tags: Tags = Field(default_factory=list)
    notes: Notes = ""
    sweep: Sweep | None = None
    time_limit_s: float | None = Field(
        None, gt=0, description="Seconds one attempt of each run may train; its worker then "
        "stops it and fails it. Null: no limit."
    )


class ExperimentUpdate(BaseModel):
    """Fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    tags: Tags | None = None
    notes: Notes | None = None


class ExperimentClone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changes: dict[SpecPath, BoundedJson] = Field(
        default_factory=dict,
        max_length=100,
        description="Dotted path into the resolved spec -> new value.",
        examples=[{"algo.params.learning_rate": 0.0003, "seeds": [0, 1]}],
    )
    name: Annotated[str, Text] | None = Field(
        None, min_length=1, max_length=200, description="Default: the source's name."
    )


class Run(BaseModel):
    id: int
    experiment_id: int
    seed: int
    variant: dict[str, Any] | None = Field(description="Swept values; null outside a sweep.")
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
    recoveries: int = Field(description="Automatic resumes after a lost worker.")
    time_limit_s: float | None = Field(description="Seconds an attempt may train; null: none.")
    device: str | None = Field(
        description="The device its latest attempt trains on, as the worker recorded it; null "
        "until then."
    )

    @classmethod
    def from_run(cls, run: models.Run) -> Run:
        return cls.model_validate(
            {
                **_columns(run),
                "progress": _fraction(run.steps_done, run.steps_total),
                "device": _latest_device(run),
            }
        )


def _latest_device(run: models.Run) -> str | None:
    return run.attempts[-1].device if run.attempts else None


class Provenance(BaseModel):
    """What a worker trained with, recorded on the attempt."""

    rlboard_version: str | None
    git_commit: str | None = Field(description="Of the worker's checkout, when it is one.")
    packages: dict[str, str | None] | None = Field(description="python, torch, gymnasium, numpy.")
    device: str | None
    host: str | None


class RunAttempt(Provenance):
    number: int = Field(description="1 for the first attempt.")
    kind: AttemptKind
    status: RunStatus
    task_id: str | None
    worker: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None


class RunDetail(Run):
    spec: dict[str, Any] = Field(description="The fully resolved spec this run trains.")
    attempts: list[RunAttempt]

    @classmethod
    def from_run(cls, run: models.Run) -> RunDetail:
        return cls.model_validate(
            {
                **_columns(run),
                "progress": _fraction(run.steps_done, run.steps_total),
                "device": _latest_device(run),
                "attempts": [_columns(attempt) for attempt in run.attempts],
            }
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
    sweep: dict[str, list[Any]] | None
    runs: list[Run]

    @classmethod
    def from_experiment(cls, experiment: models.Experiment) -> ExperimentDetail:
        return cls.model_validate(
            {
                **_experiment_fields(experiment),
                "runs": [Run.from_run(run) for run in experiment.runs],
            }
        )


class ExperimentQuery(BaseModel):
    """Search, filters (all must hold) and the page of ``GET /experiments``."""

    # An unknown (misspelt) filter is a 422, never silently no filter.
    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, Text] | None = Field(
        None, max_length=200, description="Text in the name, env id, algorithm, tags or notes."
    )
    status: RunStatus | None = Field(None, description="Experiments with a run in this status.")
    algo: Annotated[str, Text] | None = Field(None, max_length=200)
    env: Annotated[str, Text] | None = Field(None, max_length=200, description="Environment id.")
    tag: Annotated[str, Text] | None = Field(None, max_length=100)
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_ID)


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
    key: str = Field(min_length=1, max_length=MAX_KEY_LENGTH, description="No NUL character.")
    step: int = Field(ge=0, le=2**63 - 1, description="Cumulative environment steps.")
    value: float = Field(allow_inf_nan=False)
    wall_time: float = Field(allow_inf_nan=False, description="Seconds since the run started.")


class MetricBatch(BaseModel):
    points: list[MetricPointIn] = Field(max_length=MAX_POINTS_PER_BATCH)

    @field_validator("points")
    @classmethod
    def _keys_storable(cls, points: list[MetricPointIn]) -> list[MetricPointIn]:
        # Once per distinct key (a batch holds a few), not per point: a Python validator on
        # every point's key was 60% of a 1 000-point batch's validation.
        for key in {point.key for point in points}:
            try:
                check_text(key)
            except ValueError as exc:
                index = next(i for i, point in enumerate(points) if point.key == key)
                raise ValueError(f"points.{index}.key: {exc}") from None
        return points


class IngestResult(BaseModel):
    received: int
    stored: int = Field(description="Points new to the server; re-sent points are not counted.")


class MetricHistory(BaseModel):
    key: str
    steps: list[int]
    values: list[float]


class MetricKeys(BaseModel):
    keys: list[str] = Field(description="Every metric key a run of the experiment has logged.")


XAxis = Literal["step", "wall_time"]
Band = Literal["ci", "std", "minmax"]


class RunCurve(BaseModel):
    run_id: int
    seed: int
    status: RunStatus
    variant: dict[str, Any] | None = Field(
        description="The run's swept values; null outside a sweep."
    )
    steps: list[int]
    values: list[float]
    wall_times: list[float] | None = Field(
        None, description="Seconds since the run started, per point; only with x=wall_time."
    )
    last_step: int | None = Field(
        None, description="The step of its last stored point (not downsampled); null: none."
    )
    last_value: float | None = Field(None, description="The value of its last stored point.")


class CurveAggregate(BaseModel):
    """Seed statistics on a common grid; null where no seed covers a grid point."""

    steps: list[int] | list[float] = Field(
        description="The grid: environment steps (x=step) or seconds since start (x=wall_time)."
    )
    mean: list[float | None]
    min: list[float | None]
    max: list[float | None]
    n: list[int] = Field(description="How many seeds cover each grid point.")
    center: list[float | None] = Field(description="The chosen aggregate (agg) over seeds.")
    lower: list[float | None] = Field(description="Lower edge of the chosen band.")
    upper: list[float | None] = Field(description="Upper edge of the chosen band.")


class CurveGroup(BaseModel):
    variant: dict[str, Any] | None
    run_ids: list[int]
    aggregate: CurveAggregate


class Curves(BaseModel):
    key: str
    x: XAxis
    agg: Aggregate
    band: Band = Field(
        description="ci: 95% percentile bootstrap interval of agg over seeds (2000 replicates, "
        "seed 0); std: agg +- the standard deviation over seeds; minmax: min and max."
    )
    runs: list[RunCurve]
    aggregate: CurveAggregate = Field(description="Over every run of the experiment.")
    groups: list[CurveGroup] | None = Field(
        None, description="One aggregate per sweep variant, on the same grid (group_by=variant)."
    )


# --------------------------------------------------------------------------------------------
# Comparing experiments


class CompareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    experiment_ids: list[DbId] = Field(
        min_length=2, max_length=MAX_COMPARED, json_schema_extra={"uniqueItems": True}
    )
    key: Annotated[str, Text] | None = Field(
        None,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Metric of the final scores; null: eval_return_mean for an experiment that "
        "logged it, else return_mean.",
    )
    last_k: int = Field(
        5, ge=1, le=10_000, description="A run's final score: mean of its last K points."
    )
    max_points: int = Field(500, ge=2, le=10_000, description="Points of the shared curve grid.")

    @field_validator("experiment_ids")
    @classmethod
    def _distinct(cls, ids: list[int]) -> list[int]:
        duplicates = sorted({id_ for id_ in ids if ids.count(id_) > 1})
        if duplicates:
            raise ValueError(f"duplicate experiment ids {duplicates}")
        return ids


class ExperimentScores(BaseModel):
    experiment_id: int
    name: str
    env_id: str
    key: str = Field(description="The metric the scores and the curve come from.")
    run_ids: list[int] = Field(description="The runs with a score, in the order of scores.")
    scores: list[float] = Field(description="Each run's final score.")
    n: int = Field(description="Seeds with a score.")
    mean: float | None
    std: float | None = Field(description="Population std of the scores.")
    iqm: float | None
    iqm_lower: float | None = Field(description="95% stratified-bootstrap interval of the IQM.")
    iqm_upper: float | None
    warning: str | None = Field(description="Set when fewer than 5 seeds have a score.")
    curve: CurveAggregate = Field(description="IQM over seeds with its 95% bootstrap band.")


class Improvement(BaseModel):
    """P(X > Y) + 0.5 P(X = Y) for a random seed of X against one of Y, averaged over the
    environments both were run on (rliable's probability of improvement)."""

    x: int = Field(description="Experiment id.")
    y: int = Field(description="Experiment id.")
    probability: float | None = Field(description="Null where X and Y share no environment.")
    lower: float | None = Field(description="95% bootstrap interval, X and Y resampled apart.")
    upper: float | None


class Comparison(BaseModel):
    last_k: int
    reps: int = Field(description="Bootstrap replicates of every interval.")
    seed: int = Field(description="Seed of every interval: the same request, the same answer.")
    experiments: list[ExperimentScores]
    improvements: list[Improvement] = Field(description="Every ordered pair of experiments.")


# --------------------------------------------------------------------------------------------
# Workers, artifacts, logs and evaluations


class WorkerInfo(BaseModel):
    name: str = Field(description="Celery node name, e.g. gpu1@host.")
    host: str
    pid: int
    queues: list[str]
    gpus: list[str] = Field(description="GPU ids it hands out, one run per GPU; empty: none.")
    concurrency: int = Field(description="Runs it executes at the same time.")
    run_ids: list[int] = Field(description="The runs it executes now.")
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None
    alive: bool = Field(description="Not stopped, and a heartbeat within heartbeat_timeout_s.")


class Artifact(BaseModel):
    name: str
    size: int = Field(description="Bytes.")
    modified: datetime


class LogChunk(BaseModel):
    """A byte range of a run's log (its engine's stdout and stderr)."""

    offset: int = Field(description="Byte offset of ``text`` in the log.")
    next_offset: int = Field(description="Ask from here for what follows.")
    size: int = Field(description="The log's size in bytes now.")
    text: str = Field(description="UTF-8, a split character replaced.")


class EvaluationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    episodes: int = Field(5, ge=1, le=1000)
    video: bool = Field(True, description="Record the first episode as the run's artifact.")


class Evaluation(BaseModel):
    id: int
    run_id: int
    status: Literal["queued", "running", "succeeded", "failed"]
    episodes: int
    video: bool
    returns: list[float] | None
    video_name: str | None = Field(description="The video's artifact name, once recorded.")
    worker: str | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: models.Evaluation) -> Evaluation:
        return cls.model_validate(_columns(row))


# --------------------------------------------------------------------------------------------
# API tokens (admin scope)


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Text] = Field(
        min_length=1, max_length=200, description="Who or what uses it."
    )
    scope: TokenScope = Field(
        "read", description="read; write (implies read); admin (implies write, and manages "
        "tokens)."
    )


class Token(BaseModel):
    """A token without its secret (only its SHA-256 is stored)."""

    id: int
    name: str
    scope: TokenScope
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="Noted at most once a minute.")

    @classmethod
    def from_row(cls, row: models.ApiToken) -> Token:
        return cls.model_validate(_columns(row))


class TokenCreated(Token):
    secret: str = Field(description="The bearer token, shown only in this response.")
