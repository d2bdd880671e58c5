"""Run attempts, per-run specs and sweep variants, experiment sweeps, and API tokens.

Existing runs get the spec of their experiment (with ``seeds: [seed]``) and one attempt that
mirrors them, so nothing stored before is lost or left without history.

No table is copied (SQLite's batch mode would drop ``runs``, and with foreign keys on that
cascades into the metric points): only ADD COLUMN and CREATE TABLE, which SQLite does in place.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

RUN_STATUSES = "'queued', 'running', 'cancelling', 'succeeded', 'failed', 'cancelled'"
ATTEMPT_KINDS = "'fresh', 'retry', 'resume'"
TOKEN_SCOPES = "'read', 'write'"


def _timestamp(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.add_column("experiments", sa.Column("sweep", sa.JSON(), nullable=True))
    # SQLite adds a NOT NULL column only with a default; every run gets its real spec below,
    # and the app always writes one, so the default never shows.
    op.add_column(
        "runs", sa.Column("spec", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
    )
    op.add_column("runs", sa.Column("variant", sa.JSON(), nullable=True))
    _backfill_run_specs()
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("runs", "spec", server_default=None)

    op.create_table(
        "run_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("task_id", sa.String(255), nullable=True),
        sa.Column("worker", sa.Text(), nullable=True),
        _timestamp("created_at", nullable=False),
        _timestamp("started_at", nullable=True),
        _timestamp("finished_at", nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("rlboard_version", sa.String(50), nullable=True),
        sa.Column("git_commit", sa.String(40), nullable=True),
        sa.Column("packages", sa.JSON(), nullable=True),
        sa.Column("device", sa.String(50), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_run_attempts"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_attempts_run_id_runs", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("run_id", "number", name="uq_run_attempts_run_id"),
        sa.CheckConstraint(f"kind IN ({ATTEMPT_KINDS})", name="ck_run_attempts_kind"),
        sa.CheckConstraint(f"status IN ({RUN_STATUSES})", name="ck_run_attempts_status"),
    )
    op.create_index("ix_run_attempts_run_id", "run_attempts", ["run_id"])
    op.execute(
        "INSERT INTO run_attempts (run_id, number, kind, status, task_id, worker, created_at,"
        " started_at, finished_at, error)"
        " SELECT id, 1, 'fresh', status, task_id, worker, created_at, started_at, finished_at,"
        " error FROM runs"
    )

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        _timestamp("created_at", nullable=False),
        _timestamp("revoked_at", nullable=True),
        _timestamp("last_used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
        sa.CheckConstraint(f"scope IN ({TOKEN_SCOPES})", name="ck_api_tokens_scope"),
    )


def _backfill_run_specs() -> None:
    """Give each existing run its experiment's resolved spec, narrowed to the run's seed."""
    bind = op.get_bind()
    runs = sa.table("runs", sa.column("id"), sa.column("seed"), sa.column("spec", sa.JSON()))
    rows = bind.execute(
        sa.text("SELECT runs.id, runs.seed, experiments.spec FROM runs"
                " JOIN experiments ON experiments.id = runs.experiment_id")
    ).all()
    for run_id, seed, spec in rows:
        spec = json.loads(spec) if isinstance(spec, str) else spec
        bind.execute(
            runs.update().where(runs.c.id == run_id).values(spec={**spec, "seeds": [seed]})
        )


def downgrade() -> None:
    op.drop_table("api_tokens")
    op.drop_index("ix_run_attempts_run_id", table_name="run_attempts")
    op.drop_table("run_attempts")
    op.drop_column("runs", "variant")
    op.drop_column("runs", "spec")
    op.drop_column("experiments", "sweep")
