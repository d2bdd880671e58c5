"""Run leases, automatic recoveries and time limits; the worker registry; evaluations.

``runs`` gains ``lease_id`` (the attempt holding the run; its worker's writes are checked
against it), ``recoveries`` (automatic resumes after a lost worker) and ``time_limit_s``.
Only ADD COLUMN and CREATE TABLE, which SQLite does in place (see 0002).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

EVALUATION_STATUSES = "'queued', 'running', 'succeeded', 'failed'"


def _timestamp(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.add_column("runs", sa.Column("lease_id", sa.String(32), nullable=True))
    op.add_column(
        "runs", sa.Column("recoveries", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("runs", sa.Column("time_limit_s", sa.Double(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("runs", "recoveries", server_default=None)

    op.create_table(
        "workers",
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("queues", sa.JSON(), nullable=False),
        sa.Column("gpus", sa.JSON(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("run_ids", sa.JSON(), nullable=False),
        _timestamp("started_at", nullable=False),
        _timestamp("heartbeat_at", nullable=False),
        _timestamp("stopped_at", nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_workers"),
    )
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("episodes", sa.Integer(), nullable=False),
        sa.Column("video", sa.Boolean(), nullable=False),
        sa.Column("returns", sa.JSON(), nullable=True),
        sa.Column("video_name", sa.String(100), nullable=True),
        sa.Column("worker", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _timestamp("created_at", nullable=False),
        _timestamp("finished_at", nullable=True),
        sa.CheckConstraint(f"status IN ({EVALUATION_STATUSES})", name="ck_evaluations_status"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_evaluations_run_id_runs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_evaluations"),
    )
    op.create_index("ix_evaluations_run_id", "evaluations", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_evaluations_run_id", table_name="evaluations")
    op.drop_table("evaluations")
    op.drop_table("workers")
    for column in ("time_limit_s", "recoveries", "lease_id"):
        op.drop_column("runs", column)
