"""Database tables: experiments, their runs and run attempts, the runs' metric points with their
series and block summaries, workers, evaluations and API tokens.

Alembic migrations in ``alembic/versions/`` create these tables; a test checks that the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

RunStatus = Literal["queued", "running", "cancelling", "succeeded", "failed", "cancelled"]
RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)
FINISHED_STATUSES: frozenset[RunStatus] = frozenset({"succeeded", "failed", "cancelled"})
UNFINISHED_STATUSES: frozenset[RunStatus] = frozenset(RUN_STATUSES) - FINISHED_STATUSES
Queue = Literal["cpu", "gpu"]
QUEUES: tuple[Queue, ...] = get_args(Queue)
AttemptKind = Literal["fresh", "retry", "resume"]
ATTEMPT_KINDS: tuple[AttemptKind, ...] = get_args(AttemptKind)
EvaluationStatus = Literal["queued", "running", "succeeded", "failed"]
EVALUATION_STATUSES: tuple[EvaluationStatus, ...] = get_args(EvaluationStatus)
# Each scope grants the ones before it: admin > write > read.
TokenScope = Literal["read", "write", "admin"]
TOKEN_SCOPES: tuple[TokenScope, ...] = get_args(TokenScope)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database.

    SQLite stores no offset, so values are converted to UTC before they are written and read
    back as UTC; naive datetimes are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: rlboard stores timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK that ``column`` holds one of ``values``."""
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Base(DeclarativeBase):
    # Named constraints, so later migrations can drop or alter them on every database.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime()}


class Experiment(Base):
    """One submitted spec; its runs are the spec's seeds, times the sweep's variants if any."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Dotted spec path -> values; every run stores the spec of its own variant.
    sweep: Mapped[dict[str, list[Any]] | None] = mapped_column(JSON)
    # Copied out of the spec so that lists can filter on them with an index.
    env_id: Mapped[str] = mapped_column(String(200), index=True)
    algo: Mapped[str] = mapped_column(String(100), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON)
    notes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    runs: Mapped[list[Run]] = relationship(
        back_populates="experiment", order_by="Run.id", cascade="all, delete-orphan"
    )


class Run(Base):
    """One seed (of one sweep variant) of an experiment: a Celery task that a worker claims,
    trains and finishes, once per attempt."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(_in("status", RUN_STATUSES), name="status"),
        CheckConstraint(_in("queue", QUEUES), name="queue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    seed: Mapped[int]
    # The fully resolved spec this run trains (its variant's values, ``seeds: [seed]``).
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The swept values of this run (dotted path -> value); None outside a sweep.
    variant: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    queue: Mapped[str] = mapped_column(String(8))
    task_id: Mapped[str | None] = mapped_column(String(255))
    worker: Mapped[str | None] = mapped_column(Text)
    # Environment steps go up to 1e11, past a 32-bit integer.
    steps_done: Mapped[int] = mapped_column(BigInteger, default=0)
    steps_total: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    # The lease of the attempt that holds the run: set by the claim, renewed by heartbeats
    # (``heartbeat_at``), checked by every write of its worker, so a worker that lost its
    # lease (declared lost, taken over) can no longer change the run.
    lease_id: Mapped[str | None] = mapped_column(String(32))
    # Automatic resumes after a lost worker, capped by ``Settings.max_recoveries``.
    recoveries: Mapped[int] = mapped_column(default=0)
    # Seconds one attempt may train before its worker stops it (a submission option).
    time_limit_s: Mapped[float | None] = mapped_column(Double)

    experiment: Mapped[Experiment] = relationship(back_populates="runs")
    attempts: Mapped[list[RunAttempt]] = relationship(
        back_populates="run", order_by="RunAttempt.number", cascade="all, delete-orphan"
    )


class RunAttempt(Base):
    """One try at a run: the first (fresh), or one started by retry or resume.

    The open attempt (``finished_at`` null) follows the run's status; the worker records where
    and with what it trained, so every result can be reproduced.
    """

    __tablename__ = "run_attempts"
    __table_args__ = (
        UniqueConstraint("run_id", "number"),
        CheckConstraint(_in("kind", ATTEMPT_KINDS), name="kind"),
        CheckConstraint(_in("status", RUN_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    task_id: Mapped[str | None] = mapped_column(String(255))
    worker: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    # Provenance, recorded by the worker when it starts the engine.
    rlboard_version: Mapped[str | None] = mapped_column(String(50))
    git_commit: Mapped[str | None] = mapped_column(String(40))
    packages: Mapped[dict[str, str | None] | None] = mapped_column(JSON)
    device: Mapped[str | None] = mapped_column(String(50))
    host: Mapped[str | None] = mapped_column(String(255))

    run: Mapped[Run] = relationship(back_populates="attempts")


class MetricPoint(Base):
    """One logged value; the primary key makes re-sent points no-ops (idempotent ingest).

    ``run_id`` has no foreign key on purpose (migration 0007): its per-row check was a third of
    an ingest; ingest checks the run once per batch (``services/metrics.py``)."""

    __tablename__ = "metric_points"

    run_id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    value: Mapped[float] = mapped_column(Double)
    wall_time: Mapped[float] = mapped_column(Double)


class MetricSeries(Base):
    """Summary of one run's series, kept on write so lists never scan the points."""

    __tablename__ = "metric_series"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    last_step: Mapped[int] = mapped_column(BigInteger)
    last_value: Mapped[float] = mapped_column(Double)
    min_value: Mapped[float] = mapped_column(Double)
    max_value: Mapped[float] = mapped_column(Double)


#: Consecutive points of a series per :class:`MetricBlock`.
BLOCK_SIZE = 64


class MetricBlock(Base):
    """Summary of ``BLOCK_SIZE`` consecutive points of a series (block ``n`` holds the points
    ranked ``n * BLOCK_SIZE`` to ``(n + 1) * BLOCK_SIZE - 1`` by step when they were stored),
    kept on write, so long curves read one row per block instead of one per point.

    ``min_step``/``max_step`` are the steps of the lowest/highest value, ties to the earliest.
    The block also holds its points' steps and values (ascending steps): PostgreSQL arrays, so
    the points around a grid step are found inside the block (``width_bucket``) in one query;
    on SQLite little-endian int64/float64 bytes, decoded with ``np.frombuffer``.
    """

    __tablename__ = "metric_blocks"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    block: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    first_step: Mapped[int] = mapped_column(BigInteger)
    first_value: Mapped[float] = mapped_column(Double)
    last_step: Mapped[int] = mapped_column(BigInteger)
    last_value: Mapped[float] = mapped_column(Double)
    min_step: Mapped[int] = mapped_column(BigInteger)
    min_value: Mapped[float] = mapped_column(Double)
    max_step: Mapped[int] = mapped_column(BigInteger)
    max_value: Mapped[float] = mapped_column(Double)
    # PostgreSQL arrays; SQLite has none and stores bytes (migration 0004).
    step_array: Mapped[list[int] | bytes | None] = mapped_column(
        LargeBinary().with_variant(postgresql.ARRAY(BigInteger), "postgresql")
    )
    value_array: Mapped[list[float] | bytes | None] = mapped_column(
        LargeBinary().with_variant(postgresql.ARRAY(Double), "postgresql")
    )


class Worker(Base):
    """A worker process as it last reported itself (``GET /workers``): registered when it
    starts, renewed with its current runs every heartbeat, stopped when it shuts down."""

    __tablename__ = "workers"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    queues: Mapped[list[str]] = mapped_column(JSON)
    gpus: Mapped[list[str]] = mapped_column(JSON)
    concurrency: Mapped[int]
    run_ids: Mapped[list[int]] = mapped_column(JSON)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]


class Evaluation(Base):
    """Episodes of a run's checkpoint played in eval mode by a worker (``rlboard evaluate``),
    with their returns and, if asked for, a video stored as the run's artifact."""

    __tablename__ = "evaluations"
    __table_args__ = (CheckConstraint(_in("status", EVALUATION_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    episodes: Mapped[int]
    video: Mapped[bool]
    returns: Mapped[list[float] | None] = mapped_column(JSON)
    # The video's artifact name (``eval-<id>.mp4`` or ``.gif``).
    video_name: Mapped[str | None] = mapped_column(String(100))
    worker: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class ApiToken(Base):
    """A bearer token for the API; only the SHA-256 of its secret is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(_in("scope", TOKEN_SCOPES), name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
