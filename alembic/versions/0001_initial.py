"""Initial schema: experiments, runs, metric points and metric series.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The statuses and queues as of this revision; later revisions change them explicitly.
RUN_STATUSES = "'queued', 'running', 'cancelling', 'succeeded', 'failed', 'cancelled'"
QUEUES = "'cpu', 'gpu'"


def _timestamp(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("env_id", sa.String(200), nullable=False),
        sa.Column("algo", sa.String(100), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        _timestamp("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_experiments"),
    )
    op.create_index("ix_experiments_env_id", "experiments", ["env_id"])
    op.create_index("ix_experiments_algo", "experiments", ["algo"])

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("queue", sa.String(8), nullable=False),
        sa.Column("task_id", sa.String(255), nullable=True),
        sa.Column("worker", sa.Text(), nullable=True),
        sa.Column("steps_done", sa.BigInteger(), nullable=False),
        sa.Column("steps_total", sa.BigInteger(), nullable=False),
        _timestamp("created_at", nullable=False),
        _timestamp("started_at", nullable=True),
        _timestamp("finished_at", nullable=True),
        _timestamp("heartbeat_at", nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name="fk_runs_experiment_id_experiments",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(f"status IN ({RUN_STATUSES})", name="ck_runs_status"),
        sa.CheckConstraint(f"queue IN ({QUEUES})", name="ck_runs_queue"),
    )
    op.create_index("ix_runs_experiment_id", "runs", ["experiment_id"])
    op.create_index("ix_runs_status", "runs", ["status"])

    op.create_table(
        "metric_points",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("wall_time", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "key", "step", name="pk_metric_points"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_metric_points_run_id_runs", ondelete="CASCADE"
        ),
    )

    op.create_table(
        "metric_series",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.Column("last_value", sa.Double(), nullable=False),
        sa.Column("min_value", sa.Double(), nullable=False),
        sa.Column("max_value", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "key", name="pk_metric_series"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_metric_series_run_id_runs", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("metric_series")
    op.drop_table("metric_points")
    op.drop_index("ix_runs_status", table_name="runs")
    op.drop_index("ix_runs_experiment_id", table_name="runs")
    op.drop_table("runs")
    op.drop_index("ix_experiments_algo", table_name="experiments")
    op.drop_index("ix_experiments_env_id", table_name="experiments")
    op.drop_table("experiments")
